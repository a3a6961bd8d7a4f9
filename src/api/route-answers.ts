/**
 * What the routes about issues, groups and subscriptions answer with besides their
 * result: one map of failures, the answer of a change that says nothing back, and the
 * 404 of a lookup that found nothing.
 */
import { Type } from 'typebox';
import { NotFoundError } from '../domain/errors.js';
import { ErrorSchema } from './schemas.js';

/** The failures a route about issues, groups or subscriptions may answer with. */
export const ROUTE_ERRORS = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  503: ErrorSchema,
};

/** The answers of a route that changes something and says nothing back. */
export const NO_CONTENT = { 204: Type.Null(), ...ROUTE_ERRORS };

/** `value`, or a 404 saying `message` when there is none. */
export function found<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new NotFoundError(message);
  return value;
}
