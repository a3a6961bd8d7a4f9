/**
 * Business errors. They carry a name and a message and nothing internal; the API maps
 * them to HTTP statuses in one place (src/api/error-handler.ts).
 */

export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

export class NotAllowedError extends Error {
  override readonly name = 'NotAllowedError';
}

export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError';
}

export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
}

/** The caller holds too much of a limited resource (open streams, say). */
export class TooManyRequestsError extends Error {
  override readonly name = 'TooManyRequestsError';
}
