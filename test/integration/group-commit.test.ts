/**
 * Group-committed ingest (docs/decisions/0031-group-commit.md): reports that arrive
 * together share one transaction, yet each gets its own answer, exactly what writing
 * them one at a time would have given; a bad report fails alone; every change still has
 * its timeline event and its notification.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type {
  IssueChange,
  IssueReport,
  IssueState,
  IssueType,
  Labels,
} from '../../src/domain/issue.js';
import { startChangeFeed } from '../../src/store/change-feed.js';
import { createIssueStore, type IssueStore } from '../../src/store/issue-store.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let store: IssueStore;

before(async () => {
  server = await startTestServer();
  store = createIssueStore(server.db);
});
after(() => server.stop());

/** Times well before any `now()` of the test, so "newer than now" never depends on timing. */
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
const CUTOFF = Date.UTC(2026, 5, 1);
const FUTURE = '2099-01-01T00:00:00.000Z';

type Draft = Omit<IssueReport, 'namespace' | 'scope'> & { scope: string };

const draft: fc.Arbitrary<Draft> = fc.record(
  {
    scope: fc.constantFrom('a', 'b', 'c'),
    issueType: fc.constantFrom<IssueType>('build', 'test'),
    title: fc.constantFrom('t1', 't2'),
    description: fc.constantFrom('d1', 'd2'),
    severity: fc.constantFrom('minor' as const, 'critical' as const),
    state: fc.constantFrom<IssueState>('ACTIVE', 'RESOLVED'),
    links: fc.constantFrom([], [{ title: 'logs', url: 'https://logs.example/1' }]),
    labels: fc.constantFrom<Labels[]>({}, { team: 'x' }, { team: 'y', tier: '1' }),
    runId: fc.constantFrom('r1', 'r2', 'r3'),
    // Minutes of a fixed past hour, or one far ahead (a sender's clock running wild).
    occurredAt: fc.oneof(fc.integer({ min: 0, max: 4 }).map(at), fc.constant(FUTURE)),
    dueAt: fc.constantFrom(at(60), at(120)),
    migration: fc.constantFrom(
      { required: true, url: 'https://migrations.example/0.5.md' },
      { required: false, url: null },
    ),
  },
  { requiredKeys: ['scope', 'issueType', 'title', 'description', 'severity'] },
);

const inNamespace = (namespace: string, d: Draft): IssueReport => ({
  ...d,
  namespace,
  scope: { resourceType: 'component', resourceName: d.scope, resourceNamespace: namespace },
});

/** Everything a report leaves behind, without what differs between namespaces or runs. */
async function snapshot(namespace: string) {
  const issues = await server.db.query<Record<string, unknown>>(
    `SELECT scope_name, issue_type, title, description, severity, state, labels, occurrences,
       last_event, resolved_at IS NULL AS open, due_at, migration, detected_at > created_at AS redetected,
       CASE WHEN state_at < $2 OR state_at >= $3 THEN to_char(state_at AT TIME ZONE 'UTC', 'YYYY HH24:MI')
         ELSE 'now' END AS state_at,
       (SELECT json_agg(json_build_object('title', l->>'title', 'url', l->>'url')) FROM jsonb_array_elements(links) l) AS links,
       (SELECT json_agg(json_build_object('kind', e.kind, 'summary', e.summary, 'run', e.run_id) ORDER BY e.id)
          FROM issue_events e WHERE e.issue_id = issues.id) AS events
     FROM issues WHERE namespace = $1 ORDER BY scope_name, issue_type`,
    [namespace, new Date(CUTOFF), FUTURE],
  );
  return issues.rows;
}

const answerOf = ({ issue, outcome }: Awaited<ReturnType<IssueStore['report']>>) => ({
  outcome,
  scope: issue.scope.resourceName,
  issueType: issue.issueType,
  state: issue.state,
  title: issue.title,
  severity: issue.severity,
  occurrences: issue.occurrences,
  labels: issue.labels,
  links: issue.links.map((l) => l.url),
  resolved: issue.resolvedAt !== null,
  dueAt: issue.dueAt,
  migration: issue.migration,
});

describe('group-committed ingest', () => {
  it('reports sent together give exactly the answers and rows of sending them one at a time', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(draft, { minLength: 1, maxLength: 24 }), async (drafts) => {
        run += 1;
        const serial = [];
        for (const d of drafts)
          serial.push(answerOf(await store.report(inNamespace(`gs-${run}`, d))));
        const together = await Promise.all(
          drafts.map((d) => store.report(inNamespace(`gc-${run}`, d))),
        );
        assert.deepEqual(together.map(answerOf), serial);
        assert.deepEqual(await snapshot(`gc-${run}`), await snapshot(`gs-${run}`));
      }),
      { numRuns: 40 },
    );
    // The property held for groups, not one report per transaction.
    const shared = await server.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT xmin::text FROM issues WHERE namespace LIKE 'gc-%'
         GROUP BY xmin::text HAVING count(*) > 1) shared`,
    );
    assert.ok((shared.rows[0]?.n ?? 0) > 0, 'some reports shared a transaction');
  });

  it('a bad report in a group fails alone and leaves nothing behind', async () => {
    const reports = Array.from({ length: 12 }, (_, i) =>
      inNamespace('bad-one', {
        scope: `c-${i}`,
        issueType: 'build',
        title: 'failed',
        description: 'exit 1',
        severity: 'major',
      }),
    );
    // Reaches the store unchecked, as from a caller that skipped validation.
    Object.assign(reports[5] as IssueReport, { severity: 'fatal' });
    Object.assign(reports[8] as IssueReport, { occurredAt: 'not a time' });
    const answers = await Promise.allSettled(reports.map((r) => store.report(r)));
    assert.deepEqual(
      answers.map((a) => a.status),
      reports.map((_, i) => (i === 5 || i === 8 ? 'rejected' : 'fulfilled')),
    );
    const rows = await server.db.query<{ scope_name: string; events: number }>(
      `SELECT scope_name, (SELECT count(*)::int FROM issue_events e WHERE e.issue_id = issues.id) AS events
       FROM issues WHERE namespace = 'bad-one' ORDER BY scope_name`,
    );
    assert.deepEqual(
      rows.rows,
      reports
        .map((r) => r.scope.resourceName)
        .filter((name) => name !== 'c-5' && name !== 'c-8')
        .sort()
        .map((scope_name) => ({ scope_name, events: 1 })),
    );
  });

  it("a group's report that changes a severity says so on its timeline event", async () => {
    const report = (scope: string, severity: 'minor' | 'critical') =>
      inNamespace('severity-group', {
        scope,
        issueType: 'task-update',
        title: 'outdated',
        description: 'bundle expires',
        severity,
      });
    const scopes = ['a', 'b', 'c', 'd', 'e', 'f'];
    await Promise.all(scopes.map((scope) => store.report(report(scope, 'minor'))));
    const answers = await Promise.all(
      scopes.map((scope, i) => store.report(report(scope, i % 2 ? 'critical' : 'minor'))),
    );
    const events = await server.db.query<{ scope_name: string; summary: string; tx: string }>(
      `SELECT i.scope_name, e.summary, e.xmin::text AS tx FROM issue_events e
       JOIN issues i ON i.id = e.issue_id WHERE i.namespace = 'severity-group' AND e.kind = 'reported'
       ORDER BY i.scope_name`,
    );
    assert.deepEqual(
      events.rows.map(({ scope_name, summary }) => [scope_name, summary]),
      scopes.map((scope, i) => [
        scope,
        i % 2 ? 'severity minor → critical: bundle expires' : 'bundle expires',
      ]),
    );
    assert.ok(
      new Set(events.rows.map((row) => row.tx)).size < scopes.length,
      'some of the reports were written together (the batch upsert)',
    );
    assert.equal(answers.length, scopes.length);
  });

  it('every change in a group has its own timeline event and notification', async () => {
    const changes: IssueChange[] = [];
    const feed = await startChangeFeed(server.db, () => undefined);
    feed.subscribe(({ change }) => {
      if (change.namespace === 'per-change') changes.push(change);
    });
    try {
      const reports = [0, 1, 2].flatMap(() =>
        ['a', 'b', 'c', 'd'].map((scope) =>
          inNamespace('per-change', {
            scope,
            issueType: 'test',
            title: 'flaky',
            description: 'timeout',
            severity: 'minor',
          }),
        ),
      );
      const answers = await Promise.all(reports.map((r) => store.report(r)));
      for (let waited = 0; changes.length < reports.length && waited < 5000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const byIssue = new Map<string, string[]>();
      for (const change of changes)
        byIssue.set(change.id, [...(byIssue.get(change.id) ?? []), change.type]);
      assert.deepEqual(
        [...byIssue.values()],
        [...new Set(answers.map((a) => a.issue.id))].map(() => ['created', 'updated', 'updated']),
      );
      const events = await server.db.query<{ kinds: string[]; transactions: number }>(
        `SELECT array_agg(e.kind ORDER BY e.id) AS kinds, count(DISTINCT e.xmin::text)::int AS transactions
         FROM issue_events e JOIN issues i ON i.id = e.issue_id WHERE i.namespace = 'per-change'
         GROUP BY i.id`,
      );
      assert.deepEqual(
        events.rows.map((row) => row.kinds),
        [0, 1, 2, 3].map(() => ['created', 'reported', 'reported']),
      );
      const created = await server.db.query<{ n: number }>(
        `SELECT count(DISTINCT e.xmin::text)::int AS n FROM issue_events e JOIN issues i ON i.id = e.issue_id
         WHERE i.namespace = 'per-change' AND e.kind = 'created'`,
      );
      assert.equal(created.rows[0]?.n, 1, 'the four creations were committed together');
    } finally {
      await feed.close();
    }
  });
});
