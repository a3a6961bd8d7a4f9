/**
 * PostgreSQL error codes the stores turn into domain errors (the same codes from `pg` and
 * PGlite, both of which put the SQLSTATE in `code`).
 */
const hasCode = (error: unknown, code: string): boolean =>
  typeof error === 'object' && error !== null && 'code' in error && error.code === code;

/** A unique constraint refused the row (SQLSTATE 23505). */
export const isUniqueViolation = (error: unknown): boolean => hasCode(error, '23505');

/**
 * PostgreSQL aborted the statement to break a deadlock (SQLSTATE 40P01): nothing of it
 * was written, and running it again may succeed.
 */
export const isDeadlock = (error: unknown): boolean => hasCode(error, '40P01');

/** A foreign key named a row that does not exist (SQLSTATE 23503). */
export const isForeignKeyViolation = (error: unknown): boolean => hasCode(error, '23503');
