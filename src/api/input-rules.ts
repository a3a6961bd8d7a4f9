/**
 * Rules every request's text obeys before its schema is even consulted, applied to the
 * body, the query string and the path parameters of every route:
 *
 * - No control characters in any string (C0 except tab, newline and carriage return;
 *   DEL; C1). PostgreSQL cannot store NUL at all, and the others have no business in
 *   names, titles, labels or descriptions: a 400 names the field instead of a 500 from
 *   the database (docs/decisions/0020-input-rules.md).
 * - Integers in query strings and paths are decimal digits only: `0x10`, `1e3`, ` 16`
 *   and `+5` are 400s, where the schema coercion alone would read them as numbers.
 *
 * The rules produce errors in the shape of Ajv's, so the error handler names the field
 * the same way for both.
 */

export interface RuleViolation {
  keyword: string;
  instancePath: string;
  message: string;
  params: Record<string, unknown>;
}

// Tab (09), newline (0A) and carriage return (0D) are text; everything else below 0x20,
// DEL and the C1 block are control characters.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const DECIMAL = /^\d+$/;
/** Deeper JSON than this is refused before it is walked (and before it reaches a handler). */
export const MAX_DEPTH = 32;

/** Control characters anywhere in `value`: the first violation, or undefined. */
export function findControlCharacter(value: unknown, path = ''): RuleViolation | undefined {
  return walk(value, path, 0);
}

function walk(value: unknown, path: string, depth: number): RuleViolation | undefined {
  if (typeof value === 'string') {
    const found = CONTROL.exec(value);
    if (!found) return undefined;
    const code = found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return {
      keyword: 'controlCharacter',
      instancePath: path,
      message: `must not contain control characters (found U+${code})`,
      params: { codePoint: `U+${code}` },
    };
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH) {
    return {
      keyword: 'maxDepth',
      instancePath: path,
      message: `must not be nested more than ${MAX_DEPTH} levels deep`,
      params: { limit: MAX_DEPTH },
    };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = walk(value[i], `${path}/${i}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const keyProblem = walk(key, `${path}/${escape(key)}`, depth + 1);
    if (keyProblem) return { ...keyProblem, message: `name ${keyProblem.message}` };
    const found = walk(item, `${path}/${escape(key)}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** JSON Pointer escaping, so a key with `/` in it still names one field. */
const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The names of a query or path schema's integer properties: those whose text must be
 * decimal digits. Only top-level properties: query strings are flat.
 */
export function integerFields(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)
    ?.properties;
  if (!properties) return [];
  return Object.entries(properties)
    .filter(([, property]) => property.type === 'integer')
    .map(([name]) => name);
}

/** The first integer field whose text is not decimal digits, as a violation. */
export function findLooseInteger(
  data: unknown,
  fields: readonly string[],
): RuleViolation | undefined {
  if (fields.length === 0 || data === null || typeof data !== 'object') return undefined;
  const values = data as Record<string, unknown>;
  for (const field of fields) {
    const given = values[field];
    const texts = Array.isArray(given) ? given : [given];
    for (const text of texts) {
      if (typeof text === 'string' && !DECIMAL.test(text)) {
        return {
          keyword: 'type',
          instancePath: `/${field}`,
          message: 'must be an integer written in decimal digits',
          params: { type: 'integer' },
        };
      }
    }
  }
  return undefined;
}
