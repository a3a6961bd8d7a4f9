/**
 * Every order of `GET /api/v1/issues?sort=` is read along an index
 * (docs/decisions/0049-issue-list-sorts.md): the statements the store runs for a page
 * are planned as index scans in the order asked for, which stop at the page's size,
 * never as a sort of every match; and a `-severity` page reads a further severity only
 * when the page is not full, and never one the counts table says has no issues.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IssueSort } from '../../src/domain/issue-sort.js';
import type { Database } from '../../src/store/database.js';
import type { IssueFilter } from '../../src/store/issue-filter.js';
import { listIssues } from '../../src/store/issue-list.js';
import { useTestServer } from '../support/test-server.js';

const { server, onStart } = useTestServer();

onStart(async () => {
  // 40 namespaces of 250 issues; no `info` issue in ns-0.
  await server.db.query(
    `INSERT INTO issues (namespace, issue_type, scope_type, scope_name, scope_namespace,
       title, description, severity, state, detected_at)
     SELECT 'ns-' || (i % 40), 'build', 'component', 'component-' || i, 'ns-' || (i % 40),
       'Build failed', 'exit 1',
       CASE WHEN i % 40 = 0 AND (i / 40) % 4 = 3 THEN 'major'
            ELSE (ARRAY['critical','major','minor','info'])[1 + (i / 40) % 4] END,
       'ACTIVE', now() - i * interval '1 minute'
     FROM generate_series(1, 10000) AS i`,
  );
  await server.db.query('ANALYZE issues');
});

/** The statements `listIssues` runs for one page, with their parameters. */
async function statementsOf(filter: IssueFilter, sort: IssueSort, limit = 20) {
  const seen: [string, unknown[]][] = [];
  const db = server.db;
  const recording = Object.create(db, {
    query: {
      value: (sql: string, params: unknown[] = [], name?: string) => {
        seen.push([sql, params]);
        return db.query(sql, params, name);
      },
    },
  }) as Database;
  const page = await listIssues(recording, filter, { limit, offset: 0, sort });
  return { page, statements: seen };
}

async function planOf(sql: string, params: unknown[]): Promise<string> {
  const plan = await server.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
  return plan.rows.map((row) => row['QUERY PLAN']).join('\n');
}

/** The plans of the statements that read pages of issues (not the counts). */
async function pagePlans(filter: IssueFilter, sort: IssueSort) {
  const { statements } = await statementsOf(filter, sort);
  const pages = statements.filter(([sql]) => sql.includes('WITH ids AS'));
  return Promise.all(pages.map(([sql, params]) => planOf(sql, params)));
}

describe('sorted lists are read along indexes', () => {
  it('each order is an ordered index scan that a limit stops, not a sort of every match', async () => {
    const cases: [IssueFilter, IssueSort, RegExp][] = [
      [{ namespaces: ['ns-3'] }, 'detectedAt', /Index (Only )?Scan Backward using issues_listing/],
      [{ namespaces: ['ns-3'] }, '-detectedAt', /Index (Only )?Scan using issues_listing/],
      [{}, 'detectedAt', /Index (Only )?Scan Backward using issues_detected/],
      [{}, '-detectedAt', /Index (Only )?Scan using issues_detected/],
      [{ namespaces: ['ns-3'] }, '-severity', /Index (Only )?Scan using issues_listing/],
      [{}, '-severity', /Index (Only )?Scan using issues_detected/],
    ];
    for (const [filter, sort, scan] of cases) {
      const plans = await pagePlans(filter, sort);
      assert.ok(plans.length > 0);
      for (const plan of plans) {
        // The page's ids are read in the CTE `page` (`ids` is inlined into it).
        const ids = plan.slice(plan.indexOf('CTE page'), plan.indexOf('CTE rel'));
        const what = `${JSON.stringify(filter)} ${sort}:\n${plan}`;
        assert.match(ids, scan, what);
        assert.match(ids, /Limit/, what);
        assert.doesNotMatch(ids, /Seq Scan|-> {2}Sort {2}/, what);
      }
    }
  });

  it('worst first reads a further severity only while the page is not full', async () => {
    // ns-3 has 62 or 63 issues of each severity: a page of 20 is all critical, one read.
    const small = await statementsOf({ namespaces: ['ns-3'] }, '-severity', 20);
    const reads = small.statements.filter(([sql]) => sql.includes('WITH ids AS'));
    assert.equal(reads.length, 1);
    assert.ok(small.page.data.every((issue) => issue.severity === 'critical'));
    // A page of 150 needs critical, major and minor: three reads, info never.
    const wide = await statementsOf({ namespaces: ['ns-3'] }, '-severity', 150);
    const severities = wide.statements
      .filter(([sql]) => sql.includes('WITH ids AS'))
      .map(([, params]) =>
        params.find((p) => ['critical', 'major', 'minor', 'info'].includes(String(p))),
      );
    assert.deepEqual(severities, ['critical', 'major', 'minor']);
  });

  it('worst first never reads a severity the counts table says is empty', async () => {
    // ns-0 has no info issue: a page that could hold all of ns-0 reads three severities.
    const { page, statements } = await statementsOf({ namespaces: ['ns-0'] }, '-severity', 1000);
    const severities = statements
      .filter(([sql]) => sql.includes('WITH ids AS'))
      .map(([, params]) =>
        params.find((p) => ['critical', 'major', 'minor', 'info'].includes(String(p))),
      );
    assert.deepEqual(severities, ['critical', 'major', 'minor']);
    assert.equal(page.data.length, 250);
    assert.equal(page.total, 250);
  });
});
