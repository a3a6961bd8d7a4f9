/**
 * Migration 16 (docs/decisions/0064-partitioned-events.md): `issue_events` partitioned by
 * month, the table as it was kept as the first partition with its ids going on, and
 * retention dropping whole partitions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Database } from '../../src/store/database.js';
import { createIssueStore, type IssueStore } from '../../src/store/issue-store.js';
import { migrate } from '../../src/store/migrations.js';
import { ensureEventPartitions } from '../../src/store/event-partitions.js';
import { createTestDatabase, testDbKind, type TestDatabase } from '../support/test-server.js';

const partitions = async (db: Database) =>
  (
    await db.query<{ name: string; bound: string }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'issue_events'::regclass ORDER BY c.relname`,
    )
  ).rows;

const report = (store: IssueStore, name: string) =>
  store.report({
    namespace: 'team-a',
    issueType: 'build',
    scope: { resourceType: 'component', resourceName: name, resourceNamespace: 'team-a' },
    title: `Build failed: ${name}`,
    description: 'exit 1',
    severity: 'major',
  });

describe('issue events partitioned by month', () => {
  let scratch: TestDatabase;
  let db: Database;
  let store: IssueStore;
  let before16: string[];
  before(async () => {
    scratch = await createTestDatabase();
    db = await openDatabase(scratch.url ? { url: scratch.url } : { dataDir: 'memory://' });
    await migrate(db, 15);
    store = createIssueStore(db);
    await report(store, 'old');
    await report(store, 'old');
    before16 = (
      await db.query<{ id: string }>('SELECT id::text FROM issue_events ORDER BY id')
    ).rows.map((r) => r.id);
    assert.deepEqual(await migrate(db), [16]);
  });
  after(async () => {
    await db?.close();
    await scratch?.drop();
  });

  it('keeps the table as it was as the first partition, its events and ids unchanged', async () => {
    const kind = await db.query<{ relkind: string }>(
      "SELECT relkind FROM pg_class WHERE oid = 'issue_events'::regclass",
    );
    assert.equal(kind.rows[0]?.relkind, 'p');
    const parts = await partitions(db);
    assert.match(
      parts.find((p) => p.name === 'issue_events_first')?.bound ?? '',
      /FROM \(MINVALUE\)/,
    );
    assert.equal(parts.length, 3, 'the first partition and the two months after it');
    const ids = (
      await db.query<{ id: string }>('SELECT id::text FROM issue_events ORDER BY id')
    ).rows.map((r) => r.id);
    assert.deepEqual(ids, before16);
  });

  it('goes on numbering events after the last one of the old table', async () => {
    const { issue } = await report(store, 'new');
    const events = await store.events(issue.id, { limit: 10, offset: 0 });
    assert.ok(
      BigInt(events.data[0]!.id) > BigInt(before16.at(-1)!),
      'event ids (the live stream positions) only grow',
    );
  });

  it("reads an issue's timeline across partitions", async () => {
    const { issue } = await report(store, 'spanning');
    const next = await db.query<{ at: Date }>(
      "SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 month 1 hour' AS at",
    );
    await db.query(
      "INSERT INTO issue_events (issue_id, kind, summary, at) VALUES ($1, 'updated', 'later', $2)",
      [issue.id, next.rows[0]!.at],
    );
    const stored = await db.query<{ part: string }>(
      'SELECT tableoid::regclass::text AS part FROM issue_events WHERE issue_id = $1 ORDER BY id',
      [issue.id],
    );
    assert.equal(new Set(stored.rows.map((r) => r.part)).size, 2, 'two partitions hold them');
    const events = await store.events(issue.id, { limit: 10, offset: 0 });
    assert.deepEqual(events.data.map((e) => e.summary).slice(0, 1), ['later']);
    assert.equal(events.total, 2);
  });

  it(
    'a pass that finds every month ready locks nothing, so writers never wait on it',
    { skip: testDbKind() === 'embedded' && 'one connection: no second writer' },
    async () => {
      // A writer holds issue_events open; making a partition would wait for it.
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      const writer = db.transaction(async (tx) => {
        await tx.query(
          "INSERT INTO issue_events (issue_id, kind) SELECT id, 'updated' FROM issues LIMIT 1",
        );
        await held;
      });
      try {
        const made = await Promise.race([
          ensureEventPartitions(db),
          new Promise((resolve) => setTimeout(() => resolve('waited'), 3000)),
        ]);
        assert.equal(made, 0);
      } finally {
        release();
        await writer;
      }
    },
  );

  it('drops a partition whole once all of it is past retention, and keeps writing', async () => {
    const first = await partitions(db);
    const upper = /TO \('([^']+)'\)/.exec(
      first.find((p) => p.name === 'issue_events_first')!.bound,
    )![1]!;
    const held = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM issue_events_first');
    const pruned = await store.prune(new Date(upper));
    assert.ok(pruned.events >= held.rows[0]!.n, 'its events are counted as pruned');
    const now = (await partitions(db)).map((p) => p.name);
    assert.ok(!now.includes('issue_events_first'), 'the first partition is gone');
    assert.equal(now.length, 3, 'this month and the two after it are ready');
    const { issue } = await report(store, 'after-prune');
    assert.equal((await store.events(issue.id, { limit: 10, offset: 0 })).total, 1);
  });
});
