/** A string enum as plain JSON Schema `enum`, so validation errors list the allowed values. */
import { Type, type TUnsafe } from 'typebox';

export function StringEnum<T extends string>(
  values: readonly T[],
  options: object = {},
): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}
