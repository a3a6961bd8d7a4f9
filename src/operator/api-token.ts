/**
 * The operator's bearer token for the API server: the given file, else the pod's
 * service-account token when there is one. Re-read at most once a minute, because
 * projected service-account tokens rotate (about hourly) and the API client asks before
 * every request. Without a token the operator still reports (a server in development
 * mode takes it); the missing file is said once, never the token itself.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { SERVICE_ACCOUNT_DIR } from './operator-config.js';

const TOKEN_REFRESH_MS = 60_000;

export function apiTokenReader(
  file: string | undefined,
  log: Logger,
  refreshMs = TOKEN_REFRESH_MS,
): () => Promise<string | undefined> {
  const path = file ?? `${SERVICE_ACCOUNT_DIR}/token`;
  // The read itself is cached, so callers that ask while it runs wait for it (the first
  // deliveries go out together) instead of reporting without a token.
  let cached: Promise<string | undefined> = Promise.resolve(undefined);
  let readAt = -Infinity;
  let warned = false;
  const read = async () => {
    try {
      return (await readFile(path, 'utf8')).trim() || undefined;
    } catch {
      if (!warned) {
        if (file) log.error({ file }, 'cannot read the token file: reporting without a token');
        else log.warn('no token file and no service-account token: reporting without a token');
      }
      warned = true;
      return undefined;
    }
  };
  return () => {
    if (Date.now() - readAt < refreshMs) return cached;
    readAt = Date.now();
    cached = read();
    return cached;
  };
}
