/**
 * What a failed call to the KITE API throws. `KiteApiError`: the server answered with an
 * error status, and says why (`{ error, details }`). `KiteTransportError`: no answer at
 * all (the request timed out or the connection failed). Neither ever carries the token.
 */

export class KiteApiError extends Error {
  override readonly name = 'KiteApiError';
  constructor(
    /** The HTTP status the server answered with (400, 404, 503, …). */
    readonly status: number,
    /** The server's own message (its `error` field), or the status text when it sent none. */
    message: string,
    /** The server's `details` field, e.g. `{ field: 'severity' }` for a 400. */
    readonly details: unknown,
    readonly method: string,
    readonly path: string,
  ) {
    super(message);
  }
}

export class KiteTransportError extends Error {
  override readonly name = 'KiteTransportError';
  constructor(
    /** `timeout`: no answer within the client's timeout; `network`: the connection failed. */
    readonly kind: 'timeout' | 'network',
    message: string,
    readonly method: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
