/**
 * Root-cause groups (issue 20, docs/root-cause-groups.md), on the server PostgreSQL:
 *
 * 1. Seeds 1,000,000 issues in 200 namespaces (bench/scale-seed.ts), then puts 30,000
 *    active ones into 3,000 groups of 10 spanning namespaces; both times are printed.
 * 2. Ingest through `kite serve` with grouping on and off (KITE_ROOT_CAUSE_GROUPS), two
 *    processes on the same database, rounds alternating: 64 connections creating new
 *    issues whose first description line is one of 200 causes, so with grouping on nearly
 *    every report joins a group (the costly path: locks, join, recount). Target on/off ≥ 0.8.
 * 3. Lookups at 50 requests/s offered (open loop, KITE_BENCH_GROUPS_RATE), on the server with grouping on: a
 *    group by id, the first page of groups, a namespace's groups, groups by failure class,
 *    and a namespace's issue list (which looks up the page's groups). p99 per request.
 *
 * Medians of `rounds`.
 */
import autocannon from 'autocannon';
import { openDatabase } from '../src/store/database.js';
import { migrate } from '../src/store/migrations.js';
import { seedIssues } from './scale-seed.js';
import {
  createBenchDatabase,
  fmt,
  median,
  pacedLoad,
  startKite,
  type LoadResult,
} from './support.js';

const ISSUES = Number(process.env.KITE_BENCH_GROUPS_ISSUES ?? 1_000_000);
const NAMESPACES = 200;
const GROUPS = 3_000;
const GROUP_SIZE = 10;
const CAUSES = 200;
const CONNECTIONS = 64;
/** Offered lookups per second (open loop); the machine these run on is shared. */
const LOOKUP_RATE = Number(process.env.KITE_BENCH_GROUPS_RATE ?? 50);

/** Groups of GROUP_SIZE active issues, taken in id order (so spread over namespaces). */
const SEED_GROUPS = `
WITH made AS (
  INSERT INTO root_cause_groups (first_seen_at) SELECT now() FROM generate_series(1, $1::int)
  RETURNING id
), g AS (
  SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM made
), keys AS (
  INSERT INTO root_cause_keys (key, group_id) SELECT 'signature:' || md5('seeded cause ' || k), id FROM g
), p AS (
  SELECT id, namespace, row_number() OVER (ORDER BY id) - 1 AS r FROM issues
  WHERE state = 'ACTIVE' ORDER BY id LIMIT $1::int * $2::int
), signed AS (
  UPDATE issues i SET signature_hash = md5('seeded cause ' || (p.r % $1::int)),
    signature_key = 'build|seeded cause ' || (p.r % $1::int), failure_class = 'other'
  FROM p WHERE i.id = p.id
)
INSERT INTO root_cause_members (issue_id, group_id, namespace, active, reason_kind, reason)
SELECT p.id, g.id, p.namespace, true, 'signature', 'build|seeded cause ' || g.k
FROM p JOIN g ON g.k = p.r % $1::int`;

let sequence = 0;
const createBody = () => {
  const n = sequence++;
  const name = `bench-${process.pid}-${n}`;
  const namespace = `ns-${n % NAMESPACES}`;
  return JSON.stringify({
    namespace,
    issueType: 'build',
    severity: 'major',
    title: `Build failed: ${name}`,
    description: `error: cause number ${n % CAUSES} broke the build\nin component ${name}`,
    scope: { resourceType: 'component', resourceName: name, resourceNamespace: namespace },
  });
};

function ingest(url: string, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path: '/api/v1/issues',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => ({ ...request, body: createBody() }),
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        resolve({
          rate: result.requests.average,
          p50: result.latency.p50,
          p99: result.latency.p99,
          errors: result.errors + result.non2xx,
        });
      },
    );
  });
}

export async function groupsPhase(rounds: number, seconds: number): Promise<void> {
  const scratch = await createBenchDatabase();
  const db = await openDatabase({ url: scratch.url, poolSize: 4 });
  try {
    await migrate(db);
    const seeded = await seedIssues(db, { issues: ISSUES, namespaces: NAMESPACES, bigOutOf13: 0 });
    const started = performance.now();
    await db.query(SEED_GROUPS, [GROUPS, GROUP_SIZE]);
    await db.query('VACUUM ANALYZE issues, root_cause_groups, root_cause_members, root_cause_keys');
    const grouped = (performance.now() - started) / 1000;
    console.log(
      `\n## Root-cause groups\n\nseeded ${ISSUES} issues in ${fmt(seeded)} s; ${GROUPS} groups of ${GROUP_SIZE} in ${fmt(grouped)} s`,
    );

    const on = await startKite(scratch.url, { KITE_ROOT_CAUSE_GROUPS: 'on' });
    const off = await startKite(scratch.url, { KITE_ROOT_CAUSE_GROUPS: 'off' });
    try {
      const rows: Record<string, LoadResult[]> = {};
      const add = (name: string, result: LoadResult) => (rows[name] ??= []).push(result);
      for (let round = 1; round <= rounds; round += 1) {
        add('ingest, grouping off', await ingest(off.url, seconds));
        add('ingest, grouping on', await ingest(on.url, seconds));
        console.log(`groups ingest round ${round} done`);
      }
      const ids = await db.query<{ id: string }>(
        'SELECT id FROM root_cause_groups WHERE size >= 2 ORDER BY md5(id::text) LIMIT 500',
      );
      const lookups: Record<string, string[]> = {
        'GET /groups/{id}': ids.rows.map((row) => `/api/v1/groups/${row.id}`),
        'GET /groups (first page)': ['/api/v1/groups'],
        'GET /groups?namespace=': Array.from(
          { length: 50 },
          (_, i) => `/api/v1/groups?namespace=ns-${i}`,
        ),
        'GET /groups?failureClass=other': ['/api/v1/groups?failureClass=other'],
        'GET /issues?namespace= (with groups)': Array.from(
          { length: 50 },
          (_, i) => `/api/v1/issues?namespace=ns-${i}&state=ACTIVE`,
        ),
      };
      for (let round = 1; round <= rounds; round += 1) {
        for (const [name, paths] of Object.entries(lookups))
          add(name, await pacedLoad(on.url, paths, LOOKUP_RATE, seconds / 2));
        console.log(`groups lookup round ${round} done`);
      }
      console.log(
        `\n| measurement | req/s | p50 ms | p99 ms | errors |\n| --- | ---: | ---: | ---: | ---: |`,
      );
      const summary = Object.entries(rows).map(([name, results]) => ({
        name,
        rate: median(results.map((r) => r.rate)),
        p50: median(results.map((r) => r.p50)),
        p99: median(results.map((r) => r.p99)),
        errors: results.reduce((sum, r) => sum + r.errors, 0),
      }));
      for (const r of summary)
        console.log(
          `| ${r.name} | ${fmt(r.rate, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.errors} |`,
        );
      const rate = (name: string) => summary.find((r) => r.name === name)?.rate ?? NaN;
      console.log(
        `\ningest with grouping on / off: ${fmt(rate('ingest, grouping on') / rate('ingest, grouping off'), 2)} (target >= 0.80)`,
      );
      const shown = await db.query<{ groups: number; members: number }>(
        'SELECT count(*)::int AS groups, coalesce(sum(size), 0)::int AS members FROM root_cause_groups WHERE size >= 2',
      );
      console.log(
        `groups after the run: ${shown.rows[0]?.groups} with ${shown.rows[0]?.members} members`,
      );
    } finally {
      await on.stop();
      await off.stop();
    }
  } finally {
    await db.close();
    await scratch.drop();
  }
}
