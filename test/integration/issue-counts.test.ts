/**
 * The counts table of migration 8 (docs/decisions/0030-counts-table.md): whatever mix of
 * writes runs at the same time — reports, repeats, resolves, reopenings, edits that move
 * an issue between counted keys, deletes, prunes and multi-row statements — the table
 * equals `count(*) … GROUP BY` over the issues, and every total and count the API
 * answers from it equals the real count. Totals of filters the table does not hold are
 * exact up to the bound and say so past it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { IssueState, IssueType, Severity } from '../../src/domain/issue.js';
import { createIssueStore, type IssueStore } from '../../src/store/issue-store.js';
import { TOTAL_BOUND } from '../../src/store/issue-totals.js';
import { client, startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let store: IssueStore;
let api: ReturnType<typeof client>;

before(async () => {
  server = await startTestServer();
  store = createIssueStore(server.db);
  api = client(server.url);
});
after(() => server.stop());

const NAMESPACES = ['count-a', 'count-b', 'count-c'];
const SEVERITIES: Severity[] = ['info', 'minor', 'major', 'critical'];
const TYPES: IssueType[] = ['build', 'test', 'release'];
const STATES: IssueState[] = ['ACTIVE', 'RESOLVED'];

const target = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  name: fc.constantFrom('api', 'web', 'db', 'ui'),
  issueType: fc.constantFrom(...TYPES),
});
type Target = { namespace: string; name: string; issueType: IssueType };

const operation = fc.oneof(
  fc.record({
    kind: fc.constant('report' as const),
    at: target,
    severity: fc.constantFrom(...SEVERITIES),
    state: fc.constantFrom(...STATES),
  }),
  fc.record({ kind: fc.constant('resolveScope' as const), at: target }),
  fc.record({
    kind: fc.constant('update' as const),
    at: target,
    severity: fc.option(fc.constantFrom(...SEVERITIES), { nil: undefined }),
    state: fc.option(fc.constantFrom(...STATES), { nil: undefined }),
    issueType: fc.option(fc.constantFrom(...TYPES), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('remove' as const), at: target }),
  fc.record({ kind: fc.constant('prune' as const) }),
  fc.record({
    kind: fc.constant('batch' as const),
    rows: fc.array(fc.tuple(target, fc.constantFrom(...SEVERITIES), fc.constantFrom(...STATES)), {
      minLength: 1,
      maxLength: 6,
    }),
  }),
);
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

const scopeOf = (at: Target) => ({
  resourceType: 'component',
  resourceName: at.name,
  resourceNamespace: at.namespace,
});

async function idOf(at: Target): Promise<string | undefined> {
  const found = await server.db.query<{ id: string }>(
    `SELECT id FROM issues WHERE namespace = $1 AND scope_name = $2 AND issue_type = $3`,
    [at.namespace, at.name, at.issueType],
  );
  return found.rows[0]?.id;
}

/** Runs one operation; the conflicts concurrent work can cause are expected answers. */
async function run(op: Operation): Promise<void> {
  try {
    switch (op.kind) {
      case 'report':
        await store.report({
          namespace: op.at.namespace,
          issueType: op.at.issueType,
          scope: scopeOf(op.at),
          title: 't',
          description: 'd',
          severity: op.severity,
          state: op.state,
        });
        return;
      case 'resolveScope':
        await store.resolveScope({ namespace: op.at.namespace, scope: scopeOf(op.at) });
        return;
      case 'update': {
        const id = await idOf(op.at);
        if (id)
          await store.update(id, {
            ...(op.severity ? { severity: op.severity } : {}),
            ...(op.state ? { state: op.state } : {}),
            ...(op.issueType ? { issueType: op.issueType } : {}),
          });
        return;
      }
      case 'remove': {
        const id = await idOf(op.at);
        if (id) await store.remove(id);
        return;
      }
      case 'prune':
        // Every resolved issue is older than a cutoff in the future: a multi-row delete.
        await store.prune(new Date(Date.now() + 60_000));
        return;
      case 'batch': {
        // A multi-row upsert, the shape group-committed ingest writes: one statement,
        // several rows in identity order, new ones and changed ones (the last of a
        // repeated identity wins).
        const rows = [
          ...new Map(op.rows.map((row) => [JSON.stringify(row[0]), row] as const)).values(),
        ];
        await server.db.query(
          `INSERT INTO issues AS cur (namespace, issue_type, scope_type, scope_name, scope_namespace,
             title, description, severity, state)
           SELECT ns, t, 'component', name, ns, 't', 'd', sev, st
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS r(ns, t, name, sev, st)
           ORDER BY ns, name, t
           ON CONFLICT (namespace, scope_type, scope_name, scope_namespace, issue_type)
           DO UPDATE SET severity = EXCLUDED.severity, state = EXCLUDED.state, updated_at = now()`,
          [
            rows.map(([at]) => at.namespace),
            rows.map(([at]) => at.issueType),
            rows.map(([at]) => at.name),
            rows.map(([, severity]) => severity),
            rows.map(([, , state]) => state),
          ],
        );
        return;
      }
    }
  } catch (error) {
    const name = (error as Error).name;
    // An edit to an identity another issue holds, or a row another operation deleted.
    if (name === 'ConflictError' || name === 'NotFoundError') return;
    // Every statement that locks several issues takes them in identity order, so no
    // mix of these operations may deadlock (PostgreSQL's 40P01 fails the property).
    throw error;
  }
}

type Key = string;
async function tableCounts(): Promise<Map<Key, number>> {
  const result = await server.db.query<{ key: string; n: number }>(
    `SELECT concat_ws('|', namespace, state, severity, issue_type) AS key, sum(n)::int AS n
     FROM (SELECT * FROM issue_counts UNION ALL SELECT * FROM issue_count_deltas) c
     GROUP BY 1 HAVING sum(n) <> 0`,
  );
  return new Map(result.rows.map((row) => [row.key, row.n]));
}
async function realCounts(): Promise<Map<Key, number>> {
  const result = await server.db.query<{ key: string; n: number }>(
    `SELECT concat_ws('|', namespace, state, severity, issue_type) AS key, count(*)::int AS n
     FROM issues GROUP BY 1`,
  );
  return new Map(result.rows.map((row) => [row.key, row.n]));
}

describe('issue counts table', () => {
  it('equals count(*) by (namespace, state, severity, type) after any concurrent workload', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 40 }), async (ops) => {
        // All at once: on a server PostgreSQL they run on the pool's connections together.
        // Every operation ends before the property judges (or fails), so no operation of
        // a failed run is still writing while fast-check tries a smaller one.
        const ended = await Promise.allSettled(ops.map(run));
        const failed = ended.find((end) => end.status === 'rejected');
        if (failed) throw failed.reason;
        assert.deepEqual(await tableCounts(), await realCounts());
      }),
      { numRuns: Number(process.env.KITE_PROPERTY_RUNS ?? 40) },
    );
  });

  it('stays exact when every counted column of the issues changes in one statement', async () => {
    await server.db.query(
      `UPDATE issues SET severity = CASE severity WHEN 'info' THEN 'critical' ELSE 'info' END,
         state = CASE state WHEN 'ACTIVE' THEN 'RESOLVED' ELSE 'ACTIVE' END`,
    );
    assert.deepEqual(await tableCounts(), await realCounts());
    await server.db.query(`DELETE FROM issues WHERE namespace = 'count-c'`);
    assert.deepEqual(await tableCounts(), await realCounts());
  });

  it('/issues/counts, limit=1 totals and list totals equal the real counts', async () => {
    const queries = [
      '',
      'namespace=count-a',
      'namespace=count-a&namespace=count-b',
      'namespace=count-b&state=ACTIVE',
      'state=RESOLVED&severity=info',
      'namespace=count-a&issueType=test&severity=critical',
      'namespace=nobody',
    ];
    for (const query of queries) {
      const params = new URLSearchParams(query);
      const conditions: string[] = [];
      const values: unknown[] = [];
      const namespaces = params.getAll('namespace');
      if (namespaces.length) {
        values.push(namespaces);
        conditions.push(`namespace = ANY($${values.length})`);
      }
      for (const [param, column] of [
        ['state', 'state'],
        ['severity', 'severity'],
        ['issueType', 'issue_type'],
      ]) {
        const value = params.get(param!);
        if (value) {
          values.push(value);
          conditions.push(`${column} = $${values.length}`);
        }
      }
      const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
      const real = await server.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM issues ${where}`,
        values,
      );
      const expected = real.rows[0]!.n;
      const counts = await api.get(`/api/v1/issues/counts?${query}`);
      assert.equal(counts.status, 200);
      assert.equal(counts.body.total, expected, `counts total for "${query}"`);
      const one = await api.get(`/api/v1/issues?${query}&limit=1`);
      assert.deepEqual([one.body.total, one.body.totalIsEstimate], [expected, undefined], query);
      const page = await api.get(`/api/v1/issues?${query}&limit=2&offset=1000`);
      assert.deepEqual([page.body.data.length, page.body.total], [0, expected], query);
    }
  });
});

describe('totals of filters the counts table does not hold', () => {
  const ns = 'count-big';
  before(async () => {
    // TOTAL_BOUND + 50 issues, every tenth without the `tier` label, in one statement.
    await server.db.query(
      `INSERT INTO issues (namespace, issue_type, scope_type, scope_name, scope_namespace, title,
         description, severity, state, labels)
       SELECT $1, 'build', 'component', 'c-' || i, $1, 'build of c-' || i, 'exit 1', 'major', 'ACTIVE',
         CASE WHEN i % 10 = 0 THEN '{"team":"a"}'::jsonb ELSE '{"team":"a","tier":"1"}'::jsonb END
       FROM generate_series(1, $2::int) AS i`,
      [ns, TOTAL_BOUND + 50],
    );
  });

  it('counts matches exactly up to the bound', async () => {
    const answer = await api.get(`/api/v1/issues?namespace=${ns}&search=c-100&limit=1`);
    assert.equal(answer.status, 200);
    // c-100, c-1000 … c-1009 and c-10000 … c-10050 (TOTAL_BOUND + 50 is 10,050).
    assert.deepEqual([answer.body.total, answer.body.totalIsEstimate], [62, undefined]);
    const few = await api.get(`/api/v1/issues?namespace=${ns}&labelSelector=!tier&limit=1`);
    const real = Math.floor((TOTAL_BOUND + 50) / 10);
    assert.ok(real <= TOTAL_BOUND);
    // !tier matches a tenth, but the indexed part (the namespace) is over the bound: the
    // share in the rows examined is scaled, and said to be an estimate.
    assert.equal(few.body.totalIsEstimate, true);
    assert.ok(Math.abs(few.body.total - real) <= real * 0.2, `${few.body.total} near ${real}`);
  });

  it('past the bound answers the bound as total with totalIsEstimate: true', async () => {
    const answer = await api.get(`/api/v1/issues?namespace=${ns}&labelSelector=team%3Da&limit=1`);
    assert.equal(answer.status, 200);
    assert.deepEqual(Object.keys(answer.body).sort(), [
      'data',
      'limit',
      'next',
      'offset',
      'total',
      'totalIsEstimate',
    ]);
    assert.deepEqual([answer.body.total, answer.body.totalIsEstimate], [TOTAL_BOUND, true]);
    // The namespace alone is covered by the counts table, and so exact.
    const covered = await api.get(`/api/v1/issues?namespace=${ns}&limit=1`);
    assert.deepEqual(
      [covered.body.total, covered.body.totalIsEstimate],
      [TOTAL_BOUND + 50, undefined],
    );
  });

  it('an estimate never claims fewer issues than the page shows exist', async () => {
    // An offset this deep is refused over HTTP (decision 0036); the store still pages so.
    const deep = TOTAL_BOUND + 10;
    const page = await store.list(
      { namespaces: [ns], labels: [{ key: 'team', op: 'eq', value: 'a' }] },
      { limit: 5, offset: deep },
    );
    assert.equal(page.data.length, 5);
    assert.equal(page.totalIsEstimate, true);
    assert.ok(page.total >= deep + 5, `total ${page.total}`);
  });

  it('counts of filters the table does not hold are bounded and say so past the bound', async () => {
    // Exact below the bound: a search with 62 matches, counted on the issues.
    const few = await api.get(`/api/v1/issues/counts?namespace=${ns}&search=c-100`);
    assert.equal(few.status, 200);
    assert.deepEqual(
      [few.body.total, few.body.bySeverity.major, few.body.totalIsEstimate],
      [62, 62, undefined],
    );
    // An indexed filter past the bound: the counts of TOTAL_BOUND of its matches.
    const many = await api.get(`/api/v1/issues/counts?namespace=${ns}&labelSelector=team%3Da`);
    assert.deepEqual([many.body.total, many.body.totalIsEstimate], [TOTAL_BOUND, true]);
    assert.equal(many.body.byState.ACTIVE, TOTAL_BOUND);
    // A row-by-row filter over a counted part past the bound: the share that matched,
    // scaled to the namespace's count, in every breakdown alike.
    const real = Math.floor((TOTAL_BOUND + 50) / 10);
    const scaled = await api.get(`/api/v1/issues/counts?namespace=${ns}&labelSelector=!tier`);
    assert.equal(scaled.body.totalIsEstimate, true);
    assert.ok(
      Math.abs(scaled.body.total - real) <= real * 0.2,
      `${scaled.body.total} near ${real}`,
    );
    assert.equal(scaled.body.bySeverity.major, scaled.body.total);
  });
});
