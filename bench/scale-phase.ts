/**
 * Queries at scale (issue 15): 1.3M issues on the server PostgreSQL, 1M over 200
 * namespaces and 300k in one namespace `big` (KITE_BENCH_SCALE_ISSUES changes the total;
 * the shape keeps its proportions). Every request of the issue's table, plus an
 * unscoped list and counts for a caller who may read the 200 ordinary namespaces
 * (Kubernetes authorization on, through the Kubernetes API double as in auth-phase.ts),
 * is measured through the real `kite serve`:
 *
 * - one at a time: the median (each request starts when the previous one answered);
 * - 16 in flight: p50 and p99 of a closed loop;
 *
 * each beside the index-only lower bound measured the same way in the same run: the
 * very page the request answered (its issue ids; for counts, one issue) fetched by
 * primary key with the store's own column list, straight through the `pg` driver; and,
 * at 16 in flight, the HTTP floor: that page served by a bare HTTP server (http-floor.ts).
 * Targets: every median < 20 ms and every p99 at 16 in flight < 50 ms.
 *
 * Seeding 1.3M issues takes minutes; KITE_BENCH_SCALE_DATABASE_URL points the phase at a
 * database seeded by an earlier run (KITE_BENCH_SCALE_KEEP=1 keeps it and prints it).
 */
import { Agent } from 'node:http';
import { loadavg } from 'node:os';
import { MAX_LIST_OFFSET, MAX_SEVERITY_OFFSET } from '../src/api/schemas.js';
import { encodeCursor } from '../src/domain/page-cursor.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { issueColumns } from '../src/store/issue-rows.js';
import { migrate } from '../src/store/migrations.js';
import { startKubeApiDouble } from '../test/support/kube-api.js';
import { getText, middle, okGet, p50, p99, sample, type Sampled } from './request-sampler.js';
import { startHttpFloor, type HttpFloor } from './http-floor.js';
import { seedIssues, type SeedShape } from './scale-seed.js';
import { createBenchDatabase, fmt, startKite, type KiteProcess } from './support.js';

const TOTAL = Number(process.env.KITE_BENCH_SCALE_ISSUES ?? 1_300_000);
const SECONDS = Number(process.env.KITE_BENCH_SCALE_SECONDS ?? 6);
/** One-at-a-time samples per request at most (fewer when each takes seconds). */
const ALONE_SAMPLES = 25;
const IN_FLIGHT = 16;
const TARGET_MEDIAN_MS = 20;
const TARGET_P99_MS = 50;
const TOKEN = 'bench-scale-reader-token';

const SHAPE: SeedShape = { issues: TOTAL, namespaces: 200, bigOutOf13: 3 };
const READABLE = Array.from({ length: SHAPE.namespaces }, (_, i) => `ns-${i}`);

/** The 22-term selector of the issue: twenty negations, an `in` and an absence. */
const WIDE_SELECTOR = [
  ...Array.from({ length: 20 }, (_, i) => `k${i}!=v${i}`),
  'team in (a,b,c)',
  '!tier',
].join(',');

interface Shape {
  name: string;
  path: string;
  /** Sent as the reader of 200 namespaces to the server with authorization on. */
  reader?: boolean;
  counts?: boolean;
}

interface Measured {
  shape: Shape;
  rows: number;
  total: number | undefined;
  alone: Sampled;
  busy: Sampled;
  boundAlone: Sampled;
  boundBusy: Sampled;
  /** The same page from the HTTP floor (http-floor.ts), 16 in flight. */
  floorBusy: Sampled;
}

/** The page fetched by primary key: what any plan must at least do to answer it. */
const BY_PRIMARY_KEY = `SELECT ${issueColumns('i')} FROM issues i
  WHERE i.id = ANY($1::uuid[]) ORDER BY i.detected_at DESC, i.id DESC`;

export async function scalePhase(): Promise<void> {
  const given = process.env.KITE_BENCH_SCALE_DATABASE_URL;
  const scratch = given ? undefined : await createBenchDatabase();
  const url = given ?? scratch?.url ?? '';
  const db = await openDatabase({ url, poolSize: 10 });
  const kube = await startKubeApiDouble();
  const servers: KiteProcess[] = [];
  let floor: HttpFloor | undefined;
  try {
    await migrate(db);
    if (!given) {
      console.log(`\nseeding ${TOTAL} issues (${describeShape()})…`);
      console.log(`seeded in ${fmt(await seedIssues(db, SHAPE), 0)} s`);
    }
    const counted = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM issues');
    const total = counted.rows[0]?.n ?? 0;
    kube.users.set(TOKEN, { username: 'scale-reader', groups: ['scale-readers'] });
    kube.namespaces.push(...READABLE, 'big');
    for (const namespace of READABLE) {
      kube.grants.push({
        group: 'scale-readers',
        verb: 'get',
        apiGroup: 'kite.konflux-ci.dev',
        resource: 'issues',
        namespace,
      });
    }
    const plain = await startKite(url);
    servers.push(plain);
    const secured = await startKite(url, {
      KITE_AUTH_MODE: 'kubernetes',
      KUBECONFIG: kube.kubeconfig,
    });
    servers.push(secured);
    floor = await startHttpFloor(url);

    const deep = Math.min(900_000, Math.floor(total * 0.7));
    const shapes = await requestShapes(db, deep);
    console.log(
      `\nmeasuring ${shapes.length} requests over ${total} issues; load average ${loadavgText()}`,
    );
    const results: Measured[] = [];
    for (const shape of shapes) {
      const server = shape.reader ? secured : plain;
      const headers: Record<string, string> = shape.reader
        ? { authorization: `Bearer ${TOKEN}` }
        : {};
      results.push(await measure(db, server, floor, shape, headers));
      console.log(`  ${shape.name} done`);
    }
    report(results, total);
    if (given === undefined && process.env.KITE_BENCH_SCALE_KEEP === '1') {
      console.log(`kept the seeded database: KITE_BENCH_SCALE_DATABASE_URL=${url}`);
    }
  } finally {
    for (const server of servers) await server.stop();
    await floor?.stop();
    await kube.close();
    await db.close();
    if (scratch && process.env.KITE_BENCH_SCALE_KEEP !== '1') await scratch.drop();
  }
}

function describeShape(): string {
  const big = Math.round((TOTAL * SHAPE.bigOutOf13) / 13);
  return `${TOTAL - big} over ${SHAPE.namespaces} namespaces + ${big} in namespace big`;
}

const loadavgText = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(', ');

async function requestShapes(db: Database, deep: number): Promise<Shape[]> {
  // The key of the issue at position `deep`, as the page before it would hand it out.
  const key = await db.query<{ detected_at: string; id: string }>(
    `SELECT to_char(detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS detected_at, id
     FROM issues ORDER BY detected_at DESC, id DESC OFFSET $1 LIMIT 1`,
    [deep - 1],
  );
  const after = key.rows[0];
  // The oldest critical issue: worst first, the page after it is the first of `major`.
  const lastCritical = await db.query<{ detected_at: string; id: string }>(
    `SELECT to_char(detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS detected_at, id
     FROM issues WHERE severity = 'critical' ORDER BY detected_at, id LIMIT 1`,
  );
  const critical = lastCritical.rows[0];
  const q = (params: Record<string, string>) => `?${new URLSearchParams(params).toString()}`;
  return [
    { name: '`/issues` (no filter)', path: '/api/v1/issues' },
    { name: '`/issues/counts`', path: '/api/v1/issues/counts', counts: true },
    {
      name: '`/issues/counts?namespace=big`',
      path: `/api/v1/issues/counts${q({ namespace: 'big' })}`,
      counts: true,
    },
    {
      name: '`?namespace=big&state=ACTIVE&severity=critical`',
      path: `/api/v1/issues${q({ namespace: 'big', state: 'ACTIVE', severity: 'critical' })}`,
    },
    {
      name: '`?search=component-12345` (no namespace)',
      path: `/api/v1/issues${q({ search: 'component-12345' })}`,
    },
    {
      name: '`?labelSelector=appstudio.openshift.io/component=component-7`',
      path: `/api/v1/issues${q({ labelSelector: 'appstudio.openshift.io/component=component-7' })}`,
    },
    {
      name: '22-term selector (`k0!=v0,…,team in (a,b,c),!tier`)',
      path: `/api/v1/issues${q({ labelSelector: WIDE_SELECTOR })}`,
    },
    // Offsets past MAX_LIST_OFFSET answer 400 (decision 0036): the deepest allowed one,
    // and the depth the issue measured by cursor, which is how deeper pages are read.
    {
      name: `\`?offset=${Math.min(deep, MAX_LIST_OFFSET)}\` (the deepest allowed)`,
      path: `/api/v1/issues${q({ offset: String(Math.min(deep, MAX_LIST_OFFSET)) })}`,
    },
    ...(after
      ? [
          {
            name: `\`?cursor=\` (the page after issue ${deep})`,
            path: `/api/v1/issues${q({ cursor: encodeCursor({ detectedAt: after.detected_at, id: after.id }) })}`,
          },
        ]
      : []),
    {
      name: '`/issues/counts?search=component-12345`',
      path: `/api/v1/issues/counts${q({ search: 'component-12345' })}`,
      counts: true,
    },
    {
      name: '`/issues/counts?labelSelector=` (the 22 terms)',
      path: `/api/v1/issues/counts${q({ labelSelector: WIDE_SELECTOR })}`,
      counts: true,
    },
    { name: "`/overview` (the dashboard's first page)", path: '/api/v1/overview', counts: true },
    // The orders of `sort` (decision 0049).
    {
      name: '`?sort=detectedAt` (oldest first)',
      path: `/api/v1/issues${q({ sort: 'detectedAt' })}`,
    },
    {
      name: '`?namespace=big&sort=detectedAt`',
      path: `/api/v1/issues${q({ namespace: 'big', sort: 'detectedAt' })}`,
    },
    { name: '`?sort=-severity`', path: `/api/v1/issues${q({ sort: '-severity' })}` },
    {
      name: '`?namespace=big&state=ACTIVE&sort=-severity`',
      path: `/api/v1/issues${q({ namespace: 'big', state: 'ACTIVE', sort: '-severity' })}`,
    },
    {
      name: `\`?sort=-severity&offset=${MAX_SEVERITY_OFFSET}\` (the deepest allowed)`,
      path: `/api/v1/issues${q({ sort: '-severity', offset: String(MAX_SEVERITY_OFFSET) })}`,
    },
    ...(critical
      ? [
          {
            name: '`?sort=-severity&cursor=` (the page after the last critical issue)',
            path: `/api/v1/issues${q({
              sort: '-severity',
              cursor: encodeCursor(
                { detectedAt: critical.detected_at, id: critical.id, severity: 'critical' },
                '-severity',
              ),
            })}`,
          },
        ]
      : []),
    {
      name: '`?sort=-severity&labelSelector=team in (a,b,c)`',
      path: `/api/v1/issues${q({ sort: '-severity', labelSelector: 'team in (a,b,c)' })}`,
    },
    { name: '`/issues`, reader of 200 namespaces (auth)', path: '/api/v1/issues', reader: true },
    {
      name: '`?sort=-severity`, reader of 200 namespaces (auth)',
      path: `/api/v1/issues${q({ sort: '-severity' })}`,
      reader: true,
    },
    {
      name: '`/issues/counts`, reader of 200 namespaces (auth)',
      path: '/api/v1/issues/counts',
      reader: true,
      counts: true,
    },
    {
      name: '`/overview`, reader of 200 namespaces (auth)',
      path: '/api/v1/overview',
      reader: true,
      counts: true,
    },
  ];
}

async function measure(
  db: Database,
  server: KiteProcess,
  floor: HttpFloor,
  shape: Shape,
  headers: Record<string, string>,
): Promise<Measured> {
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  try {
    const url = `${server.url}${shape.path}`;
    // Unmeasured first request: plans, caches and authorization reviews as a running
    // server has them; its answer names the page the lower bound fetches.
    const first = await getText(agent, url, headers);
    if (first.status !== 200)
      throw new Error(`${shape.path}: ${first.status} ${first.body.slice(0, 300)}`);
    const answer = JSON.parse(first.body) as { data?: { id: string }[]; total?: number };
    const ids = answer.data
      ? answer.data.map((issue) => issue.id)
      : await anyIssueId(db).then((id) => [id]);
    const alone = await sample(1, SECONDS, ALONE_SAMPLES, okGet(agent, url, headers));
    const busy = await sample(IN_FLIGHT, SECONDS, 100_000, okGet(agent, url, headers));
    const byKey = async () => {
      await db.query(BY_PRIMARY_KEY, [ids], 'bench_page_by_primary_key');
      return undefined;
    };
    const boundAlone = await sample(1, SECONDS / 2, 200, byKey);
    const boundBusy = await sample(IN_FLIGHT, SECONDS / 2, 100_000, byKey);
    const floorUrl = `${floor.url}/page?ids=${ids.join(',')}`;
    const floorBusy = await sample(IN_FLIGHT, SECONDS / 2, 100_000, okGet(agent, floorUrl, {}));
    return {
      shape,
      rows: answer.data?.length ?? 0,
      total: answer.total,
      alone,
      busy,
      boundAlone,
      boundBusy,
      floorBusy,
    };
  } finally {
    agent.destroy();
  }
}

async function anyIssueId(db: Database): Promise<string> {
  const row = await db.query<{ id: string }>('SELECT id FROM issues LIMIT 1');
  return row.rows[0]?.id ?? '00000000-0000-0000-0000-000000000000';
}

function report(results: Measured[], total: number): void {
  console.log(
    `\n## Queries at ${total} issues (${describeShape()}); load average ${loadavgText()}\n`,
  );
  console.log(
    'Alone: one at a time, median (n samples). 16 in flight: closed loop. Bound: the same page by primary key. HTTP floor: that page over a bare HTTP server (http-floor.ts).\n',
  );
  console.log(
    '| request | page / total | alone median ms (n) | bound ms | × bound | 16 in flight p50 / p99 ms | bound p50 / p99 ms | × bound p99 | HTTP floor p50 / p99 ms | × floor p99 | errors | median < 20 | p99 < 50 |',
  );
  console.log(
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :-: | :-: |',
  );
  let failures = 0;
  for (const r of results) {
    const alone = middle(r.alone);
    const bound = middle(r.boundAlone);
    const errors = r.alone.errors + r.busy.errors;
    const medianOk = alone < TARGET_MEDIAN_MS && errors === 0;
    const p99Ok = p99(r.busy) < TARGET_P99_MS && errors === 0;
    if (!medianOk || !p99Ok) failures += 1;
    const page = r.shape.counts ? 'counts' : `${r.rows} / ${r.total ?? '?'}`;
    console.log(
      `| ${r.shape.name} | ${page} | ${fmt(alone)} (${r.alone.latencies.length}) | ${fmt(bound, 2)} | ${fmt(alone / bound, 0)} | ${fmt(p50(r.busy))} / ${fmt(p99(r.busy))} | ${fmt(p50(r.boundBusy), 2)} / ${fmt(p99(r.boundBusy), 2)} | ${fmt(p99(r.busy) / p99(r.boundBusy), 0)} | ${fmt(p50(r.floorBusy))} / ${fmt(p99(r.floorBusy))} | ${fmt(p99(r.busy) / p99(r.floorBusy), 1)} | ${errors} | ${medianOk ? 'PASS' : 'FAIL'} | ${p99Ok ? 'PASS' : 'FAIL'} |`,
    );
  }
  for (const r of results) {
    const error = r.alone.firstError ?? r.busy.firstError;
    if (error) console.log(`first error on ${r.shape.name}: ${error}`);
  }
  console.log(
    `\nscale targets (median < ${TARGET_MEDIAN_MS} ms, p99 at ${IN_FLIGHT} in flight < ${TARGET_P99_MS} ms): ${results.length - failures} of ${results.length} requests pass`,
  );
}
