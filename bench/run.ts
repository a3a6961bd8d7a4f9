/**
 * `npm run bench`: the API server's speed and memory on the local PostgreSQL.
 *
 * 1. Webhook ingest through the real `kite serve` process (autocannon, 64 connections),
 *    with distinct scopes (every request a new issue) and repeated scopes (100 hot
 *    issues), as a ratio to the same upsert statement run straight through the `pg`
 *    driver in a tight loop (pool 10, 64 in flight) in this run. Target ≥ 1.0: the server
 *    group-commits reports that arrive together (docs/decisions/0031-group-commit.md).
 * 2. List and count queries over 1,000,000 issues in 1,000 namespaces: latency at a
 *    fixed offered load (100 req/s, open loop; target p99 < 20 ms), and throughput with
 *    16 requests in flight as a ratio to the same store calls made in-process.
 * 3. List requests/s with Kubernetes authorization on (cached) as a ratio to off, on a
 *    second server process pointed at the Kubernetes API test double (bench/auth-phase.ts).
 *    Target ≥ 0.8.
 * 4. The bridge operator: 10,000 PipelineRuns through the watch until the store reflects
 *    them all, events/s as a ratio to the server's own ingest of the same webhook, and
 *    the operator's peak RSS (bench/operator-phase.ts).
 * 5. MintMaker run logs: a 50 MB log served from the archive and live, as a ratio to
 *    reading the same bytes from a local file, and the server's memory growth while
 *    serving it (bench/logs-phase.ts).
 * 6. The server's peak RSS throughout (target < 200 MB).
 * 7. Ingest with 200 live event-stream subscribers reading, as a ratio to none
 *    (bench/sse-phase.ts). Target ≥ 0.9.
 * 8. Queries at 1.3M issues, one at a time and 16 in flight, against the same page by
 *    primary key (bench/scale-phase.ts).
 * 9. The embedded PGlite at 100k issues: lists and counts at 4 in flight, server RSS
 *    (bench/embedded-phase.ts).
 * 10. The CLI: start-up and `kite issues list` against `node -e 0` and a bare fetch
 *    (bench/cli-phase.ts).
 * 11. Notifications: latency from an issue change to its receiver at 50 changes/s, and
 *    ingest with subscriptions as a ratio to without (bench/notify-phase.ts). Target ≥ 0.9.
 * 12. Root-cause groups: ingest with grouping on as a ratio to off (target ≥ 0.8), and
 *    group lookups at 1M issues (bench/groups-phase.ts).
 * 13. Many clusters: list and count p99 at 1M issues over 3 clusters, with a read
 *    replica vs without, while reports arrive (bench/clusters-phase.ts).
 * 14. Ingest with the timeline partitioned by month vs not, and retiring a month by
 *    dropping its partition vs deleting its rows (bench/partitions-phase.ts).
 *
 * Each measurement is repeated (KITE_BENCH_ROUNDS, default 3) and the median is quoted.
 */
import autocannon from 'autocannon';
import { authPhase } from './auth-phase.js';
import { logsPhase } from './logs-phase.js';
import { operatorPhase } from './operator-phase.js';
import { ssePhase } from './sse-phase.js';
import { scalePhase } from './scale-phase.js';
import { embeddedPhase } from './embedded-phase.js';
import { cliPhase } from './cli-phase.js';
import { dashboardPhase } from './dashboard-phase.js';
import { notifyPhase } from './notify-phase.js';
import { groupsPhase } from './groups-phase.js';
import { clustersPhase } from './clusters-phase.js';
import { partitionsPhase } from './partitions-phase.js';
import { openDatabase } from '../src/store/database.js';
import { createIssueStore, REPORT_UPSERT, reportParams } from '../src/store/issue-store.js';
import { migrate } from '../src/store/migrations.js';
import {
  createBenchDatabase,
  fmt,
  median,
  sampleRss,
  pacedLoad,
  startKite,
  tightLoop,
  type LoadResult,
} from './support.js';

const ROUNDS = Number(process.env.KITE_BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.KITE_BENCH_SECONDS ?? 8);
const INGEST_CONCURRENCY = 64;
/** Offered load for the query latency target: ~10 dashboard page loads per second. */
const QUERY_RATE = Number(process.env.KITE_BENCH_QUERY_RATE ?? 100);
const SATURATION = 16;
const ISSUES = Number(process.env.KITE_BENCH_ISSUES ?? 1_000_000);
const NAMESPACES = 1000;
const PHASES = new Set(
  (
    process.env.KITE_BENCH_PHASES ??
    'ingest,queries,auth,operator,logs,sse,scale,embedded,cli,dashboard,notify,groups,clusters,partitions'
  ).split(','),
);

let sequence = 0;
const failureBody = (scope: string) =>
  JSON.stringify({
    pipelineName: scope,
    namespace: `ingest-${scope.length % 7}`,
    failureReason: 'step build exited 1',
    runId: `run-${sequence++}`,
  });

function httpLoad(
  url: string,
  connections: number,
  requests: autocannon.Request[],
  seconds = SECONDS,
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, requests }, (error, result) => {
      if (error) return reject(error instanceof Error ? error : new Error(String(error)));
      resolve({
        rate: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.errors + result.non2xx,
      });
    });
  });
}

const ingestRequest = (scopeOf: (n: number) => string): autocannon.Request[] => [
  {
    method: 'POST',
    path: '/api/v1/webhooks/pipeline-failure',
    headers: { 'content-type': 'application/json' },
    setupRequest: (request) => ({ ...request, body: failureBody(scopeOf(sequence)) }),
  },
];

interface Row {
  name: string;
  results: LoadResult[];
}
const summarize = (row: Row) => ({
  name: row.name,
  rate: median(row.results.map((r) => r.rate)),
  p50: median(row.results.map((r) => r.p50)),
  p99: median(row.results.map((r) => r.p99)),
  errors: row.results.reduce((sum, r) => sum + r.errors, 0),
});

async function main(): Promise<void> {
  const scratch = await createBenchDatabase();
  const db = await openDatabase({ url: scratch.url, poolSize: 10 });
  await migrate(db);
  const store = createIssueStore(db);
  const kite = await startKite(scratch.url);
  const rss = sampleRss(kite.child.pid ?? 0);
  console.log(`kite serve at ${kite.url} (pid ${kite.child.pid}); ${ROUNDS} rounds of ${SECONDS}s`);

  try {
    // --- 1. ingest -----------------------------------------------------------------
    if (PHASES.has('ingest')) {
      const distinct = (n: number) => `github.com/org/repo-${n}@main`;
      const repeated = (n: number) => `github.com/org/hot-${n % 100}@main`;
      const rows: Record<string, Row> = {};
      const add = (name: string, result: LoadResult) =>
        (rows[name] ??= { name, results: [] }).results.push(result);
      const baseline = (scopeOf: (n: number) => string) =>
        tightLoop(INGEST_CONCURRENCY, SECONDS, (i) => {
          const scope = scopeOf(i + 10_000_000);
          return db.query(
            REPORT_UPSERT,
            reportParams({
              namespace: `ingest-${scope.length % 7}`,
              issueType: 'pipeline',
              scope: {
                resourceType: 'pipelinerun',
                resourceName: scope,
                resourceNamespace: `ingest-${scope.length % 7}`,
              },
              title: `Pipeline run failed: ${scope}`,
              description: `The pipeline run ${scope} failed with reason: step build exited 1`,
              severity: 'major',
              links: [],
              labels: {},
              runId: `run-${i}`,
            }),
            'kite_report', // prepared, exactly as the store runs it
          );
        });
      for (let round = 1; round <= ROUNDS; round += 1) {
        add('driver upsert, distinct scopes', await baseline(distinct));
        add(
          'HTTP webhook, distinct scopes',
          await httpLoad(kite.url, INGEST_CONCURRENCY, ingestRequest(distinct)),
        );
        add('driver upsert, repeated scopes', await baseline(repeated));
        add(
          'HTTP webhook, repeated scopes',
          await httpLoad(kite.url, INGEST_CONCURRENCY, ingestRequest(repeated)),
        );
        console.log(`ingest round ${round} done`);
      }
      const ingest = Object.values(rows).map(summarize);
      console.log(`\n## Webhook ingest (concurrency ${INGEST_CONCURRENCY}, median of ${ROUNDS})\n`);
      console.log(
        '| measurement | req/s | p50 ms | p99 ms | errors |\n| --- | ---: | ---: | ---: | ---: |',
      );
      for (const r of ingest)
        console.log(
          `| ${r.name} | ${fmt(r.rate, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.errors} |`,
        );
      const ratio = (http: string, driver: string) =>
        (ingest.find((r) => r.name === http)?.rate ?? NaN) /
        (ingest.find((r) => r.name === driver)?.rate ?? NaN);
      const distinctRatio = ratio(
        'HTTP webhook, distinct scopes',
        'driver upsert, distinct scopes',
      );
      const repeatedRatio = ratio(
        'HTTP webhook, repeated scopes',
        'driver upsert, repeated scopes',
      );
      console.log(
        `\ningest ratio (HTTP / driver), distinct scopes: ${fmt(distinctRatio, 2)} (target >= 1.00)`,
      );
      console.log(
        `ingest ratio (HTTP / driver), repeated scopes: ${fmt(repeatedRatio, 2)} (target >= 1.00)`,
      );
    }
    // --- 2. queries over 1M issues --------------------------------------------------
    if (PHASES.has('queries')) {
      console.log(`\nseeding ${ISSUES} issues over ${NAMESPACES} namespaces…`);
      const seedStarted = performance.now();
      await db.query('TRUNCATE issues CASCADE');
      await db.query('ALTER TABLE issues DISABLE TRIGGER issues_notify');
      await db.query(
        `INSERT INTO issues (namespace, issue_type, scope_type, scope_name, scope_namespace, title, description,
                           severity, state, resolved_at, labels, detected_at)
       SELECT 'ns-' || (g % ${NAMESPACES}),
              (ARRAY['build','test','release','dependency','pipeline'])[1 + g % 5],
              'component', 'component-' || g, 'ns-' || (g % ${NAMESPACES}),
              'Build failed: component-' || g, 'step build exited with code ' || (g % 255),
              (ARRAY['info','minor','major','critical'])[1 + (g / 7) % 4],
              CASE WHEN g % 3 = 0 THEN 'RESOLVED' ELSE 'ACTIVE' END,
              CASE WHEN g % 3 = 0 THEN now() END,
              jsonb_build_object('appstudio.openshift.io/component', 'component-' || (g % 50)),
              now() - (g || ' seconds')::interval
       FROM generate_series(1, ${ISSUES}) AS g`,
      );
      await db.query('ALTER TABLE issues ENABLE TRIGGER issues_notify');
      await db.query('VACUUM ANALYZE issues'); // steady state: visibility map and hint bits set, as autovacuum leaves a live table
      // Flush the bulk load now rather than in a checkpoint during the measurements.
      await db.query('CHECKPOINT');
      console.log(`seeded in ${fmt((performance.now() - seedStarted) / 1000)} s`);

      const ns = (i: number) => `ns-${(i * 37) % NAMESPACES}`;
      const queries: {
        name: string;
        path: (i: number) => string;
        direct: (i: number) => Promise<unknown>;
      }[] = [
        {
          name: 'list: namespace, newest 50',
          path: (i) => `/api/v1/issues?namespace=${ns(i)}`,
          direct: (i) => store.list({ namespaces: [ns(i)] }, { limit: 50, offset: 0 }),
        },
        {
          name: 'list: namespace + severity + ACTIVE, limit=1 (UI count)',
          path: (i) => `/api/v1/issues?namespace=${ns(i)}&severity=major&state=ACTIVE&limit=1`,
          direct: (i) =>
            store.list(
              { namespaces: [ns(i)], severity: 'major', state: 'ACTIVE' },
              { limit: 1, offset: 0 },
            ),
        },
        {
          name: 'list: 3 namespaces + labelSelector',
          path: (i) =>
            `/api/v1/issues?namespace=${ns(i)}&namespace=${ns(i + 1)}&namespace=${ns(i + 2)}&labelSelector=appstudio.openshift.io%2Fcomponent%3Dcomponent-7`,
          direct: (i) =>
            store.list(
              {
                namespaces: [ns(i), ns(i + 1), ns(i + 2)],
                labels: [
                  { key: 'appstudio.openshift.io/component', op: 'eq', value: 'component-7' },
                ],
              },
              { limit: 50, offset: 0 },
            ),
        },
        {
          name: 'counts: namespace (severity, type, state)',
          path: (i) => `/api/v1/issues/counts?namespace=${ns(i)}`,
          direct: (i) => store.count({ namespaces: [ns(i)] }),
        },
      ];
      const queryRows: Record<string, Row> = {};
      const addQuery = (name: string, result: LoadResult) =>
        (queryRows[name] ??= { name, results: [] }).results.push(result);
      // Warm up (unmeasured): caches and prepared statements as a running server has them.
      for (const query of queries) {
        await tightLoop(SATURATION, 2, query.direct);
        const paths = Array.from({ length: 200 }, (_, i) => ({
          method: 'GET' as const,
          path: query.path(i),
        }));
        await httpLoad(kite.url, SATURATION, paths, 2);
      }
      for (let round = 1; round <= ROUNDS; round += 1) {
        for (const query of queries) {
          const requests = Array.from({ length: 200 }, (_, i) => ({
            method: 'GET' as const,
            path: query.path(i + round),
          }));
          // Latency under a stated load: an open loop offering QUERY_RATE requests/s.
          addQuery(
            `${query.name}: HTTP at ${QUERY_RATE} req/s offered`,
            await pacedLoad(
              kite.url,
              requests.map((r) => r.path),
              QUERY_RATE,
              SECONDS / 2,
            ),
          );
          // Throughput: a closed loop keeping SATURATION requests in flight.
          addQuery(
            `${query.name}: HTTP, ${SATURATION} in flight`,
            await httpLoad(kite.url, SATURATION, requests, SECONDS / 2),
          );
          addQuery(
            `${query.name}: in-process store call, ${SATURATION} in flight`,
            await tightLoop(SATURATION, SECONDS / 2, query.direct),
          );
        }
        console.log(`query round ${round} done`);
      }
      const querySummary = Object.values(queryRows).map(summarize);
      console.log(
        `\n## Queries over ${ISSUES} issues in ${NAMESPACES} namespaces (median of ${ROUNDS})\n`,
      );
      console.log(
        '| measurement | req/s | p50 ms | p99 ms | errors | HTTP / in-process |\n| --- | ---: | ---: | ---: | ---: | ---: |',
      );
      for (const r of querySummary) {
        const inProcess = r.name.endsWith(`HTTP, ${SATURATION} in flight`)
          ? querySummary.find((q) => q.name === r.name.replace('HTTP,', 'in-process store call,'))
          : undefined;
        const share = inProcess ? fmt(r.rate / inProcess.rate, 2) : '';
        console.log(
          `| ${r.name} | ${fmt(r.rate, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.errors} | ${share} |`,
        );
      }
      const worstP99 = Math.max(
        ...querySummary.filter((r) => r.name.includes('offered')).map((r) => r.p99),
      );
      console.log(
        `\nworst HTTP p99 at ${QUERY_RATE} req/s offered: ${fmt(worstP99)} ms (target < 20 ms)`,
      );
    }
    if (PHASES.has('auth')) await authPhase(scratch.url, db, kite, ROUNDS, SECONDS / 2);
    if (PHASES.has('operator')) await operatorPhase(db, kite, ROUNDS, SECONDS / 2);
    if (PHASES.has('logs')) await logsPhase(scratch.url, ROUNDS);
    if (PHASES.has('sse')) await ssePhase(scratch.url, ROUNDS, SECONDS);
    if (PHASES.has('scale')) await scalePhase();
    if (PHASES.has('embedded')) await embeddedPhase();
    if (PHASES.has('cli')) await cliPhase(kite.url, ROUNDS);
    if (PHASES.has('dashboard')) await dashboardPhase();
    if (PHASES.has('notify')) await notifyPhase(ROUNDS, SECONDS);
    if (PHASES.has('groups')) await groupsPhase(ROUNDS, SECONDS);
    if (PHASES.has('clusters')) {
      // Two PostgreSQL servers and two hubs share the two cores: a rate they all keep up with.
      const rate = Number(process.env.KITE_BENCH_CLUSTERS_RATE ?? 25);
      await clustersPhase(ISSUES, rate, ROUNDS, SECONDS);
    }
    if (PHASES.has('partitions')) await partitionsPhase(ROUNDS, SECONDS);
  } finally {
    rss.stop();
    console.log(`server peak RSS: ${fmt(rss.peakMiB())} MiB (target < 200 MB)`);
    await kite.stop();
    await db.close();
    await scratch.drop();
  }
}

await main();
