/**
 * Ingest with the timeline partitioned by month (migration 16,
 * docs/decisions/0064-partitioned-events.md) as a ratio to the same schema before it:
 * two scratch databases on the local PostgreSQL, one migrated up to 15, one fully; the
 * same reports (each a new issue and its first event, then repeats of hot issues that
 * add events only) from 64 in flight through the store, rounds alternating. Also the
 * cost of retention: dropping a month of events against deleting the same rows.
 */
import { openDatabase, type Database } from '../src/store/database.js';
import { createIssueStore } from '../src/store/issue-store.js';
import { migrate } from '../src/store/migrations.js';
import { createBenchDatabase, fmt, median, tightLoop } from './support.js';

const CONCURRENCY = 64;
/** Events in the month that retention removes (the second measurement). */
const RETIRED = 200_000;

export async function partitionsPhase(rounds: number, seconds: number): Promise<void> {
  const scratches = [await createBenchDatabase(), await createBenchDatabase()];
  const dbs: Database[] = [];
  try {
    for (const scratch of scratches)
      dbs.push(await openDatabase({ url: scratch.url, poolSize: 10 }));
    const [flat, partitioned] = dbs as [Database, Database];
    await migrate(flat, 15);
    await migrate(partitioned);
    const kinds = [
      ['flat', flat],
      ['partitioned', partitioned],
    ] as const;
    const rates: Record<string, { fresh: number[]; repeat: number[] }> = {
      flat: { fresh: [], repeat: [] },
      partitioned: { fresh: [], repeat: [] },
    };
    let runs = 0;
    for (let round = 1; round <= rounds; round += 1) {
      for (const [kind, db] of round % 2 ? kinds : [...kinds].reverse()) {
        const store = createIssueStore(db);
        const report = (name: string) => ({
          namespace: `ns-${name.length % 7}`,
          issueType: 'build' as const,
          scope: { resourceType: 'component', resourceName: name, resourceNamespace: 'ns-1' },
          title: `Build failed: ${name}`,
          description: 'exit 1',
          severity: 'major' as const,
          runId: `run-${runs++}`,
        });
        const fresh = await tightLoop(CONCURRENCY, seconds, (i) =>
          store.report(report(`r${round}-${i}`)),
        );
        const repeat = await tightLoop(CONCURRENCY, seconds, (i) =>
          store.report(report(`hot-${i % 100}`)),
        );
        if (fresh.errors || repeat.errors) throw new Error(`${kind}: reports failed`);
        rates[kind]!.fresh.push(fresh.rate);
        rates[kind]!.repeat.push(repeat.rate);
      }
      console.log(`partitions round ${round} done`);
    }
    console.log(
      `\n## Ingest with issue_events partitioned by month vs not (64 in flight, median of ${rounds})\n`,
    );
    console.log(
      '| reports | not partitioned /s | partitioned /s | partitioned / not |\n| --- | ---: | ---: | ---: |',
    );
    for (const shape of ['fresh', 'repeat'] as const) {
      const a = median(rates.flat![shape]);
      const b = median(rates.partitioned![shape]);
      const label = shape === 'fresh' ? 'distinct (new issue + event)' : 'repeated (event only)';
      console.log(`| ${label} | ${fmt(a, 0)} | ${fmt(b, 0)} | ${fmt(b / a, 2)} |`);
    }
    await retention(flat, partitioned);
  } finally {
    for (const db of dbs) await db.close();
    for (const scratch of scratches) await scratch.drop();
  }
}

/**
 * Retiring a month: `RETIRED` events put a month before now, removed by DELETE on the
 * flat table and by dropping its partition on the partitioned one.
 */
async function retention(flat: Database, partitioned: Database): Promise<void> {
  const old =
    "date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '15 days'";
  const seed = `INSERT INTO issue_events (issue_id, kind, summary, at)
    SELECT (SELECT id FROM issues LIMIT 1), 'reported', 'old', ${old} FROM generate_series(1, ${RETIRED})`;
  await flat.query(seed);
  // The partitioned table's first partition holds everything before next month: a
  // partition of its own for the old month shows what retention does in steady state.
  await partitioned.query(
    `CREATE TABLE bench_old_events (LIKE issue_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
  );
  await partitioned.query(seed.replace('INSERT INTO issue_events', 'INSERT INTO bench_old_events'));
  const cutoff =
    "date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '1 month'";
  const upper = "date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'";
  await partitioned.query('ALTER TABLE issue_events DETACH PARTITION issue_events_first');
  await partitioned.query(
    `ALTER TABLE issue_events ATTACH PARTITION bench_old_events FOR VALUES FROM (${cutoff}) TO (${upper})`,
  );
  const t0 = performance.now();
  await flat.query(`DELETE FROM issue_events WHERE at < ${upper}`);
  const deleted = performance.now() - t0;
  const t1 = performance.now();
  await partitioned.query("SELECT kite_drop_event_partition('bench_old_events')");
  const dropped = performance.now() - t1;
  console.log(
    `\nretiring a month of ${RETIRED} events: DELETE ${fmt(deleted, 0)} ms (and as many dead rows for vacuum), dropping its partition ${fmt(dropped, 1)} ms (ratio ${fmt(dropped / deleted, 3)})`,
  );
}
