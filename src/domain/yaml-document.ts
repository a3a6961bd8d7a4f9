/**
 * A configuration file in YAML, checked against its schema: the document, or an
 * InputError naming the file and its first problems (at most five).
 */
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { InputError } from './errors.js';

export function parseYamlDocument<T extends TSchema>(
  source: string,
  text: string,
  schema: T,
  options: { what: string; empty: unknown },
): Static<T> {
  let document: unknown;
  try {
    document = parseYaml(text) ?? options.empty;
  } catch (error) {
    throw new InputError(`${source}: not valid YAML: ${(error as Error).message}`);
  }
  const errors = [...Value.Errors(schema, document)];
  if (errors.length > 0) {
    const problems = errors.slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new InputError(`${source}: invalid ${options.what}: ${problems.join('; ')}`);
  }
  return document as Static<T>;
}
