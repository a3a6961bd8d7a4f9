/**
 * Request validation. Bodies are validated strictly: a number where a string belongs is
 * a 400 naming the field, never silently converted. Query strings and path parameters
 * arrive as text, so those are coerced to the declared types (and single values to
 * arrays where a parameter may repeat), after the rules of ./input-rules.ts: no control
 * characters anywhere, integers in decimal digits only.
 */
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import { findControlCharacter, findLooseInteger, integerFields } from './input-rules.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats ships CommonJS with a default export; under NodeNext the function is `.default`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const common: Options = {
  allErrors: true,
  useDefaults: true,
  removeAdditional: false,
  strict: false,
};

export function installValidation(app: FastifyInstance): void {
  const strict = addFormats(new Ajv({ ...common, coerceTypes: false }));
  const coercing = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart === 'body') return withRules(strict.compile(schema), []);
    if (httpPart === 'querystring' || httpPart === 'params') {
      return withRules(coercing.compile(schema), integerFields(schema));
    }
    return coercing.compile(schema);
  });
}

/** The input rules first (they see the text as sent, before coercion), then the schema. */
function withRules(validate: ValidateFunction, integers: readonly string[]) {
  const checked = (data: unknown): boolean => {
    const violation = findControlCharacter(data) ?? findLooseInteger(data, integers);
    if (violation) {
      checked.errors = [{ ...violation, schemaPath: '#' }];
      return false;
    }
    const valid = validate(data);
    checked.errors = validate.errors;
    return valid;
  };
  checked.errors = null as FastifySchemaValidationError[] | null | undefined;
  return checked;
}
