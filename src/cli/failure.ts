/**
 * What the client commands exit with, and the one message each failure prints. Scripts
 * rely on the codes: 0 ok, 1 an error, 2 a usage error, 3 not found or forbidden.
 */
import { KiteApiError, KiteTransportError } from '../client/errors.js';

export const EXIT = { ok: 0, error: 1, usage: 2, notFound: 3 } as const;

/** A failure the CLI explains itself; `exitCode` is one of EXIT. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);

/** Who the CLI said it was and where it asked: named in the messages of 401 and transport errors. */
export interface Asked {
  server: string;
  identity: string;
}

/** The message and exit code of any failure of a client command. */
export function explain(error: unknown, asked?: Asked): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof KiteApiError) {
    const said = error.message;
    switch (error.status) {
      case 401:
        return new CliError(
          `the server did not accept the identity (${said}): used ${asked?.identity ?? 'no token'}`,
        );
      case 403:
        return new CliError(`forbidden: ${said}`, EXIT.notFound);
      case 404:
        return new CliError(`not found: ${said}`, EXIT.notFound);
      case 400:
        return new CliError(`the server refused the request: ${said}`, EXIT.usage);
      case 503:
        return new CliError(`the server cannot answer now: ${said}`);
      default:
        return new CliError(`${error.method} ${error.path} answered ${error.status}: ${said}`);
    }
  }
  if (error instanceof KiteTransportError) {
    const where = asked ? ` at ${asked.server}` : '';
    const cause = rootCause(error);
    return new CliError(
      error.kind === 'timeout'
        ? `no answer from the KITE server${where} in time (${error.message})`
        : `cannot reach the KITE server${where}: ${cause}`,
    );
  }
  return new CliError(error instanceof Error ? error.message : String(error));
}

/** The innermost cause's message (fetch wraps ECONNREFUSED in "fetch failed"). */
function rootCause(error: Error): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  const code = (current as { code?: string }).code;
  const message = current instanceof Error ? current.message : String(current);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}
