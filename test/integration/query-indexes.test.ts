/**
 * Search and label filters are answered from indexes (migrations 7 and 10): the planner
 * can reach the trigram, words and labels GIN indexes for the SQL the store writes, a
 * search finds exactly what a plain `ILIKE` over every row finds, and selectors (their
 * negations folded into two tests) select exactly what Kubernetes' rules select.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLabelSelector } from '../../src/domain/label-selector.js';
import type { LabelRequirement } from '../../src/domain/label-selector.js';
import { buildWhere } from '../../src/store/issue-filter.js';
import { searchWords } from '../../src/store/search-words.js';
import { useTestServer } from '../support/test-server.js';

const { server, api, onStart } = useTestServer();
const ROWS = 4000;

onStart(async () => {
  // A few thousand issues in 40 namespaces, each its own component, five teams.
  await server.db.query(
    `INSERT INTO issues (namespace, issue_type, scope_type, scope_name, scope_namespace,
       title, description, severity, state, labels, detected_at)
     SELECT 'ns-' || (i % 40), 'build', 'component', 'component-' || i, 'ns-' || (i % 40),
       'Build of component-' || i || ' failed',
       'The build pipeline of component-' || i || ' exited with code ' || (i % 7),
       'major', 'ACTIVE',
       jsonb_build_object('appstudio.openshift.io/component', 'component-' || i,
         'team', 't' || (i % 5))
         || CASE WHEN i % 100 = 0 THEN '{"tier":"gold"}'::jsonb ELSE '{}'::jsonb END,
       now() - i * interval '1 minute'
     FROM generate_series(1, $1::int) AS i`,
    [ROWS],
  );
  await server.db.query('ANALYZE issues');
});

/** The plan of the store's count for `filter`, with sequential scans priced out. */
async function countPlan(
  filter: Parameters<typeof buildWhere>[0],
  words?: string,
): Promise<string> {
  const where = buildWhere(filter, words);
  return server.db.transaction(async (tx) => {
    await tx.query('SET LOCAL enable_seqscan = off');
    // The listing index carries labels too; a full walk of it is not what is asked about.
    await tx.query('SET LOCAL enable_indexonlyscan = off');
    const plan = await tx.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT count(*) FROM issues ${where.sql}`,
      where.params,
    );
    return plan.rows.map((row) => row['QUERY PLAN']).join('\n');
  });
}

describe('search and label indexes', () => {
  it('a search for a word in the title or description can use the trigram indexes', async () => {
    const plan = await countPlan({ search: 'component-1234' });
    assert.match(plan, /issues_title_trgm/, plan);
    assert.match(plan, /issues_description_trgm/, plan);
  });

  it('label equality, set membership and existence can use the labels index', async () => {
    for (const selector of [
      'appstudio.openshift.io/component=component-7',
      'team in (t1,t2)',
      'tier',
    ]) {
      const plan = await countPlan({ labels: parseLabelSelector(selector) });
      assert.match(plan, /issues_labels/, `${selector}:\n${plan}`);
    }
  });

  it('an "in" selector matches the rows whose label has one of the values', async () => {
    // Every hundredth issue is gold, and all of those are in team t0 (i % 5 = 0).
    const gold = await api.get<{ total: number }>(
      '/api/v1/issues?labelSelector=team in (t0,t3),tier&limit=1',
    );
    assert.equal(gold.status, 200);
    assert.equal(gold.body.total, ROWS / 100);
    const wide = await api.get<{ total: number; data: { labels: Record<string, string> }[] }>(
      '/api/v1/issues?labelSelector=team in (t1,t3)&limit=100',
    );
    assert.equal(wide.status, 200);
    assert.equal(wide.body.total, (ROWS / 5) * 2);
    assert.ok(wide.body.data.every((issue) => ['t1', 't3'].includes(issue.labels.team ?? '')));
  });

  it('a search finds the same issues through the index as by reading every row', async () => {
    const answer = await api.get<{ total: number; data: { title: string }[] }>(
      '/api/v1/issues?search=COMPONENT-123&limit=100',
    );
    assert.equal(answer.status, 200);
    // component-123 and component-1230 … component-1239, in title and description alike.
    assert.equal(answer.body.total, 11);
    assert.deepEqual(
      answer.body.data.map((issue) => issue.title),
      [123, ...Array.from({ length: 10 }, (_, k) => 1230 + k)]
        .sort((a, b) => a - b)
        .map((i) => `Build of component-${i} failed`),
    );
  });

  it('a search that spans a separator can use the words index alone', async () => {
    const words = await searchWords(server.db, 'component-1234');
    assert.equal(words, "'1234':*");
    const plan = await countPlan({ search: 'component-1234' }, words);
    assert.match(plan, /issues_search_words/, plan);
    assert.doesNotMatch(plan, /trgm/, plan);
  });

  it('a search finds exactly what ILIKE over every row finds', async () => {
    await server.db.query(
      `INSERT INTO issues (namespace, issue_type, scope_type, scope_name, scope_namespace,
         title, description, severity, state)
       VALUES ('odd', 'test', 'component', 'odd-1', 'odd', 'Ünïcode ÄBC-Straße failed', 'x', 'minor', 'ACTIVE'),
              ('odd', 'test', 'component', 'odd-2', 'odd', 'path /a/b_c%d.txt', 'COMPONENT-12 see logs', 'minor', 'ACTIVE'),
              ('odd', 'test', 'component', 'odd-3', 'odd', 'tail', 'code 1. exit component-', 'minor', 'ACTIVE'),
              ('odd', 'test', 'component', 'odd-4', 'odd', 'long', 'blob-' || repeat('ab', 1500) || '-end', 'minor', 'ACTIVE')`,
    );
    for (const term of [
      'component-1234',
      'COMPONENT-123',
      'nent-12',
      '-12',
      'component-',
      'of component-7 exited',
      'code 1',
      'code 1.',
      ' 1',
      'b_c%d',
      '/a/b',
      'äbc-straße',
      'ÄBC-STRASSE',
      '12',
      'exit',
      '--',
      // A 3,000-character word: the index keeps its first 100 characters.
      'blob-abab',
      `blob-${'ab'.repeat(80)}`,
      `${'ab'.repeat(60)}-end`,
      `b-${'ab'.repeat(300)}-e`,
      `b-${'ab'.repeat(300)}`,
    ]) {
      const expected = await server.db.transaction(async (tx) => {
        await tx.query('SET LOCAL enable_indexscan = off');
        await tx.query('SET LOCAL enable_bitmapscan = off');
        const rows = await tx.query<{ id: string }>(
          `SELECT id FROM issues WHERE title ILIKE $1 OR description ILIKE $1
           ORDER BY detected_at DESC, id DESC`,
          [`%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
        );
        return rows.rows.map((row) => row.id);
      });
      const found: string[] = [];
      let cursor = '';
      do {
        const page = await api.get<{ data: { id: string }[]; next: string | null }>(
          `/api/v1/issues?search=${encodeURIComponent(term)}&limit=1000${cursor}`,
        );
        assert.equal(page.status, 200, term);
        found.push(...page.body.data.map((issue) => issue.id));
        cursor = page.body.next ? `&cursor=${page.body.next}` : '';
      } while (cursor);
      assert.deepEqual(found, expected, `search "${term}"`);
    }
  });

  it('selectors with many negations select what the Kubernetes rules select', async () => {
    const rows = await server.db.query<{ id: string; labels: Record<string, string> }>(
      'SELECT id, labels FROM issues ORDER BY detected_at DESC, id DESC',
    );
    for (const selector of [
      'team!=t1,team!=t2,!tier',
      'team notin (t0,t3),tier',
      'team in (t1,t2),team!=t2,appstudio.openshift.io/component!=component-7',
      'team in (t0,t4),tier,!nothing,team notin (t4)',
      'absent!=x,team notin (t9)',
      'team,tier!=gold',
    ]) {
      const requirements = parseLabelSelector(selector);
      const expected = rows.rows
        .filter((row) => requirements.every((requirement) => holds(requirement, row.labels)))
        .map((row) => row.id);
      const found: string[] = [];
      let cursor = '';
      do {
        const page = await api.get<{ data: { id: string }[]; next: string | null }>(
          `/api/v1/issues?labelSelector=${encodeURIComponent(selector)}&limit=1000${cursor}`,
        );
        assert.equal(page.status, 200, selector);
        found.push(...page.body.data.map((issue) => issue.id));
        cursor = page.body.next ? `&cursor=${page.body.next}` : '';
      } while (cursor);
      assert.deepEqual(found, expected, selector);
    }
  });
});

/** Kubernetes' meaning of one requirement (k8s.io/apimachinery labels.Requirement.Matches). */
function holds(requirement: LabelRequirement, labels: Record<string, string>): boolean {
  const value = labels[requirement.key];
  switch (requirement.op) {
    case 'eq':
      return value === requirement.value;
    case 'neq':
      return value !== requirement.value;
    case 'in':
      return value !== undefined && requirement.values.includes(value);
    case 'notin':
      return value === undefined || !requirement.values.includes(value);
    case 'exists':
      return value !== undefined;
    case 'absent':
      return value === undefined;
  }
}
