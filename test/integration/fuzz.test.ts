/**
 * A fuzz suite over every route of the OpenAPI document the server publishes: each route
 * gets requests whose path, query, headers and body are built from its own schemas, then
 * broken (control characters, oversized and deeply nested values, wrong types, prototype
 * keys, text that is not JSON). Whatever arrives, the server never answers 5xx, and a
 * refused request (4xx) leaves every table exactly as it was.
 *
 * The number of runs is bounded (`KITE_FUZZ_RUNS` per route, default 20) so that the suite
 * takes seconds on both databases; `KITE_FUZZ_SEED` replays a failure fast-check reports.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { client, startTestServer, type TestServer } from '../support/test-server.js';

const RUNS = Number(process.env.KITE_FUZZ_RUNS ?? 20);
const SEED =
  process.env.KITE_FUZZ_SEED === undefined ? {} : { seed: Number(process.env.KITE_FUZZ_SEED) };
/** Streams that never end by themselves are not for a request/response fuzzer. */
const SKIPPED = new Set(['GET /api/v1/events']);

interface Schema {
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

interface Operation {
  method: string;
  path: string;
  parameters: { in: 'path' | 'query'; name: string; schema: Schema }[];
  body: Schema | undefined;
}

let server: TestServer;
let operations: Operation[] = [];
let knownIssue = '';

before(async () => {
  server = await startTestServer({ env: { KITE_BODY_LIMIT: '256Ki' } });
  const api = client(server.url);
  const created = await api.post('/api/v1/issues', {
    title: 'Seeded',
    description: 'for the fuzzer',
    severity: 'major',
    issueType: 'build',
    namespace: 'fuzz-a',
    scope: { resourceType: 'component', resourceName: 'seed' },
  });
  knownIssue = created.body.id;
  const document = (await api.get('/api/v1/openapi.json')).body as {
    paths: Record<string, Record<string, OpenApiOperation>>;
  };
  operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      parameters: (operation.parameters ?? []).map((p) => ({
        in: p.in,
        name: p.name,
        schema: p.schema ?? {},
      })),
      body: operation.requestBody?.content?.['application/json']?.schema,
    })),
  );
});
after(() => server.stop());

interface OpenApiOperation {
  parameters?: { in: 'path' | 'query'; name: string; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

/** Every table a request could write, as one comparable string. */
async function snapshot(): Promise<string> {
  const result = await server.db.query<{ state: string }>(
    `SELECT concat_ws(' ',
       (SELECT md5(coalesce(string_agg(i::text, ',' ORDER BY id), '')) FROM issues i),
       (SELECT count(*) FROM issue_events), (SELECT count(*) FROM issue_relations),
       (SELECT md5(coalesce(string_agg(r::text, ',' ORDER BY id), '')) FROM mintmaker_runs r),
       (SELECT count(*) FROM mintmaker_log_chunks), (SELECT count(*) FROM mintmaker_log_uploads)
     ) AS state`,
  );
  return result.rows[0]?.state ?? '';
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

function fromSchema(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(fromSchema));
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
        Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, fromSchema(v)])),
        { requiredKeys: required.filter((key) => key in properties) },
      );
    }
    case 'array':
      return fc.array(fromSchema(schema.items ?? {}), { maxLength: 3 });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 100, 100) });
    case 'boolean':
      return fc.boolean();
    case 'string':
      if (schema.format === 'uuid') return fc.oneof(fc.uuid(), fc.constant(knownIssue));
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
function broken(schema: Schema): fc.Arbitrary<unknown> {
  const replacement = fc.oneof(
    { weight: 4, arbitrary: hostileString },
    { weight: 1, arbitrary: hostile },
  );
  return fc.tuple(fromSchema(schema), fc.nat(), replacement).map(([value, pick, hostileValue]) => {
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

interface FuzzRequest {
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

function requests(operation: Operation): fc.Arbitrary<FuzzRequest> {
  const pathParams = operation.parameters.filter((p) => p.in === 'path');
  const queryParams = operation.parameters.filter((p) => p.in === 'query');
  const pathValue = (schema: Schema) =>
    fc.oneof(
      fc.constant(knownIssue),
      fromSchema(schema).map(String),
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
      fromSchema(schema.type === 'array' ? (schema.items ?? {}) : schema).map(String),
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
                { weight: 2, arbitrary: fromSchema(schema).map((v) => JSON.stringify(v)) },
                { weight: 6, arbitrary: broken(schema).map((v) => JSON.stringify(v) ?? 'null') },
              ]
            : []),
          { weight: 1, arbitrary: hostile.map((v) => JSON.stringify(v) ?? 'null') },
          { weight: 1, arbitrary: deepText },
          { weight: 1, arbitrary: fc.string({ maxLength: 50 }) },
          { weight: 1, arbitrary: fc.constant('{"title": "x", "__proto__": {"admin": true}}') },
        );
  return fc.record({ path, query, headers, body }).map((r) => ({
    url: `${server.url}${r.path}${r.query ? `?${r.query}` : ''}`,
    headers: r.headers,
    body: r.body,
  }));
}

const wellFormed = (text: string) =>
  text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

async function send(method: string, request: FuzzRequest) {
  try {
    const response = await fetch(request.url, {
      method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    return { status: response.status, text };
  } catch (error) {
    // Refused by the client library itself (a header it will not send): not a request.
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    if (error instanceof TypeError && !(typeof code === 'string' && code.startsWith('ECONN'))) {
      return undefined;
    }
    throw error;
  }
}

describe('fuzzing every route of the OpenAPI document', () => {
  it('finds the routes to fuzz', () => {
    assert.ok(operations.length >= 30, `only ${operations.length} operations`);
  });

  it('never answers 5xx, and a refused request changes nothing', async () => {
    const statuses = new Map<number, number>();
    for (const operation of operations) {
      const name = `${operation.method} ${operation.path}`;
      if (SKIPPED.has(name)) continue;
      await fc.assert(
        fc.asyncProperty(requests(operation), async (request) => {
          const before = await snapshot();
          const answer = await send(operation.method, request);
          if (!answer) return;
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          assert.ok(
            answer.status < 500,
            `${name} answered ${answer.status} to ${request.url} ${request.body?.slice(0, 300) ?? ''}: ${answer.text.slice(0, 300)}`,
          );
          if (answer.status >= 400) {
            assert.equal(await snapshot(), before, `${name} ${answer.status} changed the database`);
          }
        }),
        { numRuns: RUNS, ...SEED },
      );
    }
    // The fuzzer is only as good as the requests that reach the handlers: a good share
    // must be accepted (written or read), not all refused at the door.
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    const accepted = [...statuses].filter(([s]) => s < 300).reduce((a, [, n]) => a + n, 0);
    const distribution = JSON.stringify(Object.fromEntries(statuses));
    assert.ok(total >= operations.length * RUNS * 0.8, `only ${total} requests sent`);
    assert.ok(accepted >= total * 0.15, `only ${accepted} of ${total} accepted: ${distribution}`);
  });
});
