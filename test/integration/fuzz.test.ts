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
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  requests,
  type FuzzRequest,
  type Operation,
  type Schema,
} from '../support/fuzz-requests.js';
import { useTestServer } from '../support/test-server.js';

const RUNS = Number(process.env.KITE_FUZZ_RUNS ?? 20);
const SEED =
  process.env.KITE_FUZZ_SEED === undefined ? {} : { seed: Number(process.env.KITE_FUZZ_SEED) };
/** Streams that never end by themselves are not for a request/response fuzzer. */
const SKIPPED = new Set(['GET /api/v1/events']);

const { server, api, onStart } = useTestServer({ env: { KITE_BODY_LIMIT: '256Ki' } });
let operations: Operation[] = [];
let knownIssue = '';

onStart(async () => {
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
        fc.asyncProperty(
          requests(operation, { baseUrl: server.url, knownId: knownIssue }),
          async (request) => {
            const before = await snapshot();
            const answer = await send(operation.method, request);
            if (!answer) return;
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            assert.ok(
              answer.status < 500,
              `${name} answered ${answer.status} to ${request.url} ${request.body?.slice(0, 300) ?? ''}: ${answer.text.slice(0, 300)}`,
            );
            if (answer.status >= 400) {
              assert.equal(
                await snapshot(),
                before,
                `${name} ${answer.status} changed the database`,
              );
            }
          },
        ),
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
