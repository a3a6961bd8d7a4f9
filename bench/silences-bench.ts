/**
 * What silences cost the reads they touch (docs/decisions/0055-silenced-computed-at-read.md):
 * `/issues/counts`' `silenced` for one large namespace with no, one and 100 active
 * silences, and the one lookup that marks a page of 50 issues. Seeds 130,000 issues (the
 * namespace `big` holds 40,000 of them, 12,000 active) in a scratch database:
 *
 *   node --import tsx bench/silences-bench.ts            # embedded (PGlite)
 *   KITE_BENCH_DB=postgres node --import tsx bench/silences-bench.ts
 */
import { openDatabase, type Database } from '../src/store/database.js';
import { migrate } from '../src/store/migrations.js';
import { createSilenceStore } from '../src/store/silence-store.js';
import { createScratchDatabase } from '../test/support/scratch-database.js';
import { DEFAULT_TEST_DATABASE_URL } from '../test/support/test-server.js';
import { seedIssues } from './scale-seed.js';

const ROUNDS = 20;

async function median(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return Math.round((times[ROUNDS >> 1] ?? 0) * 100) / 100;
}

async function measure(db: Database): Promise<void> {
  await migrate(db);
  const seconds = await seedIssues(db, { issues: 130_000, namespaces: 200, bigOutOf13: 4 });
  console.log(`seeded in ${seconds.toFixed(1)} s`);
  const silences = createSilenceStore(db);
  const filter = { namespaces: ['big'], state: 'ACTIVE' as const };
  const page = await db.query<{ id: string }>(
    "SELECT id FROM issues WHERE namespace = 'big' ORDER BY detected_at DESC LIMIT 50",
  );
  const ids = page.rows.map((row) => row.id);
  const report = async (label: string) => {
    const counted = await silences.countSilenced(filter);
    const count = await median(() => silences.countSilenced(filter));
    const mark = await median(() => silences.mutedBy(ids));
    console.log(`${label}: silenced=${counted.silenced} counts ${count} ms, page mark ${mark} ms`);
  };
  await report('no silence');
  const endsAt = new Date(Date.now() + 3_600_000).toISOString();
  await silences.create(
    { namespace: 'big', matchers: { severity: 'critical' }, endsAt, comment: 'bench' },
    'bench',
  );
  await report('1 silence (severity=critical)');
  for (let i = 1; i < 100; i++)
    await silences.create(
      {
        namespace: 'big',
        matchers: { labels: { team: 'a', [`k${i % 20}`]: 'v9' } },
        endsAt,
        comment: 'bench',
      },
      'bench',
    );
  await report('100 silences');
}

const kind = process.env.KITE_BENCH_DB === 'postgres' ? 'postgres' : 'embedded';
if (kind === 'postgres') {
  const scratch = await createScratchDatabase(DEFAULT_TEST_DATABASE_URL, 'kite_bench');
  const db = await openDatabase({ url: scratch.url, dataDir: '', poolSize: 2 });
  try {
    await measure(db);
  } finally {
    await db.close();
    await scratch.drop();
  }
} else {
  const db = await openDatabase({ url: undefined, dataDir: 'memory://', poolSize: 1 });
  try {
    await measure(db);
  } finally {
    await db.close();
  }
}
