/**
 * The bridge operator under load: 10,000 completed PipelineRuns (2,000 components × 5
 * failed runs, 100 namespaces) are created in the Kubernetes API test double after the
 * operator has synced, so every one arrives through the watch. Measured: the time until
 * the store reflects all of them (2,000 issues, 10,000 occurrences), the operator's
 * events/s as a ratio to the server's own ingest rate of the same webhook in this run
 * (64 connections, autocannon), and the operator process's peak RSS.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import type { Database } from '../src/store/database.js';
import { startKubeApiDouble } from '../test/support/kube-api.js';
import { fmt, median, sampleRss, type KiteProcess } from './support.js';

const RUNS = Number(process.env.KITE_BENCH_OPERATOR_RUNS ?? 10_000);
const COMPONENTS = RUNS / 5;
const NAMESPACES = 100;
const HEAP_MIB = Number(process.env.KITE_BENCH_OPERATOR_HEAP_MIB ?? 128);

export async function operatorPhase(
  db: Database,
  kite: KiteProcess,
  rounds: number,
  seconds: number,
): Promise<void> {
  const rows: { ingest: number; seconds: number; rate: number; rssMiB: number }[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    await db.query('TRUNCATE issues CASCADE');
    const ingest = await serverIngest(kite.url, seconds);
    await db.query('TRUNCATE issues CASCADE');
    const run = await operatorRun(db, kite.url, round);
    rows.push({ ingest, ...run });
    console.log(
      `operator round ${round}: ${RUNS} runs in ${fmt(run.seconds)} s (${fmt(run.rate, 0)}/s), server ingest ${fmt(ingest, 0)}/s, operator RSS ${fmt(run.rssMiB)} MiB`,
    );
  }
  const ingest = median(rows.map((r) => r.ingest));
  const rate = median(rows.map((r) => r.rate));
  console.log(
    `\n## Bridge operator (${RUNS} PipelineRuns through the watch, median of ${rounds})\n`,
  );
  console.log('| measurement | value |\n| --- | ---: |');
  console.log(
    `| time until the store reflects every run | ${fmt(median(rows.map((r) => r.seconds)))} s |`,
  );
  console.log(`| operator events/s | ${fmt(rate, 0)} |`);
  console.log(`| server ingest, run-failure webhook, 64 connections | ${fmt(ingest, 0)} req/s |`);
  console.log(`| operator peak RSS | ${fmt(median(rows.map((r) => r.rssMiB)))} MiB |`);
  console.log(`\noperator ratio (events/s / server ingest): ${fmt(rate / ingest, 2)}`);
}

let sequence = 0;
const failure = (component: string, namespace: string) => ({
  namespace,
  issueType: 'build',
  scopeType: 'component',
  scopeName: component,
  title: `Build failed for component ${component}`,
  reason: 'Tasks Completed: 4 (Failed: 1, Cancelled 0)\nTask build-container failed: exit 1',
  runId: `ingest-${sequence++}`,
  occurredAt: new Date().toISOString(),
  labels: { 'appstudio.openshift.io/component': component },
});

function serverIngest(url: string, seconds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: 64,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path: '/api/v1/webhooks/run-failure',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => {
              const n = sequence % COMPONENTS;
              return {
                ...request,
                body: JSON.stringify(failure(`c-${n}`, `ns-${n % NAMESPACES}`)),
              };
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        if (result.non2xx > 0) return reject(new Error(`${result.non2xx} ingest requests failed`));
        resolve(result.requests.average);
      },
    );
  });
}

async function operatorRun(db: Database, apiUrl: string, round: number) {
  const kube = await startKubeApiDouble();
  const child = spawn(
    process.execPath,
    [
      'dist/cli/main.js',
      'operator',
      '--api-url',
      apiUrl,
      '--kubeconfig',
      kube.kubeconfig,
      '--no-leader-elect',
      '--port',
      process.env.KITE_BENCH_DEBUG ? '18081' : '0',
    ],
    {
      // As deployed (deploy/operator): a bounded old generation, so garbage of a burst is
      // collected instead of growing the heap.
      env: {
        ...process.env,
        KITE_LOG_LEVEL: 'warn',
        NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}`,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  child.stdout?.on('data', () => undefined);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const rss = sampleRss(child.pid ?? 0);
  try {
    // Synced: the operator has listed and is watching PipelineRuns.
    const deadline = Date.now() + 30_000;
    while ((kube.calls.watches.pipelineruns ?? 0) === 0) {
      if (Date.now() > deadline) throw new Error('the operator did not start watching');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const started = performance.now();
    for (let i = 0; i < RUNS; i += 1) {
      const component = `c-${i % COMPONENTS}`;
      const namespace = `bench-${round}-ns-${(i % COMPONENTS) % NAMESPACES}`;
      const completed = new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString();
      kube.apply({
        apiVersion: 'tekton.dev/v1',
        kind: 'PipelineRun',
        metadata: {
          name: `${component}-on-push-${i}`,
          namespace,
          uid: randomUUID(),
          labels: {
            'pipelines.appstudio.openshift.io/type': 'build',
            'appstudio.openshift.io/component': component,
            'appstudio.openshift.io/application': 'bench',
            'pipelinesascode.tekton.dev/event-type': 'push',
          },
        },
        spec: { pipelineRef: { name: 'docker-build' } },
        status: {
          startTime: completed,
          completionTime: completed,
          conditions: [
            {
              type: 'Succeeded',
              status: 'False',
              reason: 'Failed',
              message: 'Tasks Completed: 4 (Failed: 1, Cancelled 0), Skipped: 0',
              lastTransitionTime: completed,
            },
          ],
        },
      });
      if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
    }
    for (;;) {
      const result = await db.query<{ issues: number; occurrences: number }>(
        `SELECT count(*)::int AS issues, coalesce(sum(occurrences), 0)::int AS occurrences FROM issues WHERE namespace LIKE 'bench-${round}-%'`,
      );
      const row = result.rows[0];
      if (row && row.occurrences >= RUNS) {
        if (row.issues !== COMPONENTS || row.occurrences !== RUNS) {
          throw new Error(
            `expected ${COMPONENTS} issues / ${RUNS} occurrences, got ${row.issues} / ${row.occurrences}`,
          );
        }
        break;
      }
      if (performance.now() - started > 600_000) throw new Error('the store never caught up');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    if (process.env.KITE_BENCH_DEBUG) {
      const text = await (await fetch('http://127.0.0.1:18081/metrics')).text();
      console.log(
        text
          .split('\n')
          .filter(
            (l) => /heap_size|rss|external|queue_depth|reports_total/.test(l) && !l.startsWith('#'),
          )
          .join('\n'),
      );
    }
    return { seconds, rate: RUNS / seconds, rssMiB: rss.peakMiB() };
  } finally {
    rss.stop();
    child.kill('SIGTERM');
    await exited;
    await kube.close();
  }
}
