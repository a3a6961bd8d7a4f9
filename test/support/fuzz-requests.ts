/**
 * Request generators for the fuzz suite (test/integration/fuzz.test.ts): values that
 * follow an OpenAPI schema, so that requests reach the handlers, and the hostile values
 * that break them (control characters, oversized and deeply nested values, wrong types,
 * prototype keys, text that is not JSON, odd headers).
 */
import fc from 'fast-check';

export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  additionalProperties?: Schema | boolean;
}

export interface Operation {
  method: string;
  path: string;
  parameters: { in: 'path' | 'query'; name: string; schema: Schema }[];
  body: Schema | undefined;
}

// ---- Hostile values ---------------------------------------------------------------------

const nasty = fc.constantFrom(
  '\u0000',
  'a\u0000b',
  '\u001b[31mred',
  'del\u007f',
  'c1\u0085',
  '\ud800',
  '',
  ' ',
  '   ',
  '../../etc/passwd',
  "x'; DROP TABLE issues; --",
  'TEAM-C',
  'team-c/../team-a',
  'javascript:alert(1)',
  '0x10',
  '1e3',
  '+5',
  '-1',
  '9'.repeat(40),
  '__proto__',
  'constructor',
  '%00',
  '%ZZ',
  'a notin ()',
  'a=b,,c',
  '00000000-0000-4000-8000-000000000000',
);
const oversized = fc.constantFrom(1025, 4097, 65537, 200_000).map((n) => 'é'.repeat(n));
/** Text with a control character somewhere in it (PostgreSQL cannot store NUL at all). */
const controlled = fc
  .tuple(
    fc.string({ maxLength: 8 }),
    fc.constantFrom('\u0000', '\u0001', '\u001b', '\u007f', '\u0085'),
    fc.string({ maxLength: 8 }),
  )
  .map((parts) => parts.join(''));
const hostileString = fc.oneof(
  { weight: 3, arbitrary: controlled },
  { weight: 3, arbitrary: nasty },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: oversized },
);
const { hostile } = fc.letrec((tie) => ({
  hostile: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('hostile'), { maxLength: 3 }),
    fc.dictionary(hostileString, tie('hostile'), { maxKeys: 3 }),
  ),
}));
/** Nesting far deeper than any schema allows, as a JSON text. */
const deepText = fc
  .integer({ min: 33, max: 20_000 })
  .chain((depth) =>
    fc.constantFrom(
      '['.repeat(depth) + ']'.repeat(depth),
      '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
    ),
  );

// ---- Values that follow a schema (so that requests reach the handlers) --------------------

function fromSchema(schema: Schema, knownId: string): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => fromSchema(s, knownId)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = schema.properties ?? {};
      if (Object.keys(properties).length === 0) {
        return fc.dictionary(fc.constantFrom('team', 'app', 'env'), fc.constantFrom('a', 'b'), {
          maxKeys: 2,
        });
      }
      const required = schema.required ?? [];
      return fc.record(
        Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, fromSchema(v, knownId)])),
        { requiredKeys: required.filter((key) => key in properties) },
      );
    }
    case 'array':
      return fc.array(fromSchema(schema.items ?? {}, knownId), { maxLength: 3 });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 100, 100) });
    case 'boolean':
      return fc.boolean();
    case 'string':
      if (schema.format === 'uuid') return fc.oneof(fc.uuid(), fc.constant(knownId));
      if (schema.format === 'date-time') {
        return fc
          .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString());
      }
      if (schema.pattern?.includes('[a-z0-9]')) return fc.constantFrom('fuzz-a', 'fuzz-b');
      if (schema.pattern?.includes('ttp')) return fc.constantFrom('https://ci.example/1', '/x');
      return fc.stringMatching(/^[A-Za-z0-9 ._-]{1,20}$/);
    default:
      return hostile;
  }
}

/**
 * A value of the schema with one leaf (a string, number, …: what a handler stores)
 * replaced, mostly by a hostile string, sometimes by any hostile value.
 */
function broken(schema: Schema, knownId: string): fc.Arbitrary<unknown> {
  const replacement = fc.oneof(
    { weight: 4, arbitrary: hostileString },
    { weight: 1, arbitrary: hostile },
  );
  return fc
    .tuple(fromSchema(schema, knownId), fc.nat(), replacement)
    .map(([value, pick, hostileValue]) => {
      const paths = leaves(value, []);
      const path = paths[pick % Math.max(paths.length, 1)];
      return path ? replaceAt(value, path, hostileValue) : hostileValue;
    });
}

function leaves(value: unknown, path: (string | number)[]): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((item, i) => leaves(item, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => leaves(item, [...path, key]));
  }
  return [path];
}

function replaceAt(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  const [step, ...rest] = path;
  if (step === undefined) return replacement;
  if (Array.isArray(value)) {
    const copy = [...value];
    copy[Number(step)] = replaceAt(copy[Number(step)], rest, replacement);
    return copy;
  }
  const record = value as Record<string, unknown>;
  return { ...record, [step]: replaceAt(record[step], rest, replacement) };
}

// ---- Whole requests -------------------------------------------------------------------

export interface FuzzRequest {
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

const headerText = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
const oddHeaders = fc.record(
  {
    'content-type': fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'application/json; charset=utf-8',
          'text/plain',
          'application/octet-stream',
          'application/x-www-form-urlencoded',
          'garbage',
        ),
      },
    ),
    'accept-encoding': fc.oneof(headerText, fc.constant('gzip;q=0, *;q=0.5')),
    'x-request-id': headerText,
    'impersonate-user': headerText,
    'impersonate-extra-%ZZ': headerText,
    authorization: fc.constantFrom('Bearer', 'Bearer x y', 'Basic Zm9vOmJhcg==', 'Bearer \t'),
  },
  { requiredKeys: ['content-type'] },
);
/** Mostly plain JSON requests, so that most reach a handler; sometimes odd headers. */
const headers = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ 'content-type': 'application/json' }) },
  { weight: 1, arbitrary: oddHeaders },
);

/**
 * Requests for one operation: its path parameters, query and body from its schemas,
 * mostly broken in one place; `knownId` is an id that exists, so by-id routes are
 * reached too.
 */
export function requests(
  operation: Operation,
  target: { baseUrl: string; knownId: string },
): fc.Arbitrary<FuzzRequest> {
  const knownId = target.knownId;
  const pathParams = operation.parameters.filter((p) => p.in === 'path');
  const queryParams = operation.parameters.filter((p) => p.in === 'query');
  const pathValue = (schema: Schema) =>
    fc.oneof(
      fc.constant(knownId),
      fromSchema(schema, knownId).map(String),
      hostileString.filter((s) => s !== ''),
    );
  const path = fc.tuple(...pathParams.map((p) => pathValue(p.schema))).map((values) =>
    pathParams.reduce(
      (text, param, i) =>
        // A lone surrogate cannot be percent-encoded: it is sent as U+FFFD, as browsers do.
        text.replace(`{${param.name}}`, encodeURIComponent(wellFormed(values[i] ?? ''))),
      operation.path,
    ),
  );
  const queryValue = (schema: Schema) =>
    fc.oneof(
      fromSchema(schema.type === 'array' ? (schema.items ?? {}) : schema, knownId).map(String),
      hostileString,
    );
  const query = fc
    .tuple(
      ...queryParams.map((p) =>
        fc.option(fc.array(queryValue(p.schema), { minLength: 1, maxLength: 2 }), {
          nil: undefined,
          freq: 2,
        }),
      ),
    )
    .map((values) => {
      const search = new URLSearchParams();
      queryParams.forEach((param, i) => {
        for (const value of values[i] ?? []) search.append(param.name, value);
      });
      return search.toString();
    });
  const schema = operation.body;
  const body: fc.Arbitrary<string | undefined> =
    operation.method === 'GET' || operation.method === 'DELETE'
      ? fc.constant(undefined)
      : fc.oneof(
          ...(schema
            ? [
                { weight: 2, arbitrary: fromSchema(schema, knownId).map((v) => JSON.stringify(v)) },
                {
                  weight: 6,
                  arbitrary: broken(schema, knownId).map((v) => JSON.stringify(v) ?? 'null'),
                },
              ]
            : []),
          { weight: 1, arbitrary: hostile.map((v) => JSON.stringify(v) ?? 'null') },
          { weight: 1, arbitrary: deepText },
          { weight: 1, arbitrary: fc.string({ maxLength: 50 }) },
          { weight: 1, arbitrary: fc.constant('{"title": "x", "__proto__": {"admin": true}}') },
        );
  return fc.record({ path, query, headers, body }).map((r) => ({
    url: `${target.baseUrl}${r.path}${r.query ? `?${r.query}` : ''}`,
    headers: r.headers,
    body: r.body,
  }));
}

const wellFormed = (text: string) =>
  text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
