/**
 * Keyset cursors for issue lists (docs/decisions/0029-cursor-pages.md). A cursor names
 * the last issue of a page by its sort key, newest `detectedAt` first and the id as the
 * tie-breaker, so the next page starts right after it however many issues were
 * inserted in front meanwhile. It is opaque to clients: base64url of `[detectedAt, id]`.
 */
import { InputError } from './errors.js';

export interface PageKey {
  /** RFC 3339 with PostgreSQL's microseconds, exactly as the issue carries it. */
  detectedAt: string;
  id: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_CURSOR_LENGTH = 200;

export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.detectedAt, key.id])).toString('base64url');
}

export function decodeCursor(cursor: string): PageKey {
  const invalid = (reason: string) =>
    new InputError(`cursor: ${reason}; pass the "next" of the previous page unchanged`, {
      field: 'cursor',
    });
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor))
    throw invalid('not a cursor this server issued');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a cursor this server issued');
  }
  if (!Array.isArray(parsed) || parsed.length !== 2)
    throw invalid('not a cursor this server issued');
  const items: unknown[] = parsed;
  const [detectedAt, id] = items;
  if (
    typeof detectedAt !== 'string' ||
    !RFC3339.test(detectedAt) ||
    Number.isNaN(Date.parse(detectedAt))
  )
    throw invalid('its time is not an RFC 3339 timestamp');
  if (typeof id !== 'string' || !UUID.test(id)) throw invalid('its id is not a UUID');
  return { detectedAt, id };
}
