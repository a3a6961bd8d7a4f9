/**
 * Notifications (docs/notifications.md), on the real `kite serve` process and the local
 * PostgreSQL, with a local HTTP receiver in this process:
 *
 * 1. Latency from an issue change to its message at the receiver, p50 and p99, at 50
 *    changes/s offered (open loop) for KITE_BENCH_NOTIFY_SECONDS (default 20): each change
 *    a new issue (opened) in its own group (groupBy component), group_wait 0, so the
 *    figure is the path itself: trigger, outbox, routing, flush, claim, send.
 * 2. Webhook ingest (64 in flight, distinct scopes: every report a transition, the worst
 *    case) into namespaces with a subscription, as a ratio to namespaces without one, on
 *    the same server in the same rounds, interleaved, each after the outbox has drained
 *    (routing a burst of thousands would otherwise slow the next round). Target ≥ 0.90.
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBenchDatabase, fmt, median, percentile, startKite } from './support.js';

const RATE = 50;
const LATENCY_SECONDS = Number(process.env.KITE_BENCH_NOTIFY_SECONDS ?? 20);
const IN_FLIGHT = 64;

interface Receiver {
  url: string;
  /** Arrival time (performance.now()) by component named in a message. */
  arrivals: Map<string, number>;
  messages: number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const arrivals = new Map<string, number>();
  const receiver = { arrivals, messages: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = performance.now();
      receiver.messages += 1;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        issues: { scope: { resourceName: string } }[];
      };
      for (const issue of body.issues) arrivals.set(issue.scope.resourceName, at);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

async function put(base: string, namespace: string, spec: object): Promise<void> {
  const response = await fetch(
    new URL(`/api/v1/namespaces/${namespace}/subscriptions/bench`, base),
    {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    },
  );
  if (response.status !== 201) throw new Error(`subscription: ${response.status}`);
}

/**
 * Waits until the outbox is empty: an ingest round into subscribed namespaces leaves
 * thousands of transitions to route, which would otherwise slow the round after it.
 */
async function drained(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM notification_outbox',
      );
      if (Number(rows[0]?.n ?? 0) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await client.end();
  }
}

/** 50 new issues a second, each timed from its request's scheduled start to its message. */
async function latency(base: string, receiver: Receiver, round: number) {
  const sent = new Map<string, number>();
  const total = RATE * LATENCY_SECONDS;
  const started = performance.now();
  const requests: Promise<unknown>[] = [];
  let errors = 0;
  for (let i = 0; i < total; i += 1) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const component = `r${round}-c${i}`;
    sent.set(component, due);
    requests.push(
      fetch(new URL('/api/v1/issues', base), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          namespace: 'notify-latency',
          issueType: 'build',
          severity: 'major',
          title: `Build failed: ${component}`,
          description: 'step build exited 1',
          scope: { resourceType: 'component', resourceName: component },
          labels: { 'appstudio.openshift.io/component': component },
        }),
      }).then(
        (response) => (response.ok ? undefined : (errors += 1)),
        () => (errors += 1),
      ),
    );
  }
  await Promise.all(requests);
  const deadline = performance.now() + 30_000;
  while ([...sent.keys()].some((c) => !receiver.arrivals.has(c)) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const latencies = [...sent]
    .map(([component, at]) => (receiver.arrivals.get(component) ?? NaN) - at)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    missing: total - latencies.length,
    errors,
  };
}

let sequence = 0;
function ingest(base: string, prefix: string, seconds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: base,
        connections: IN_FLIGHT,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path: '/api/v1/webhooks/pipeline-failure',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => {
              const n = sequence++;
              return {
                ...request,
                body: JSON.stringify({
                  pipelineName: `github.com/org/notify-${n}@main`,
                  namespace: `${prefix}-${n % 7}`,
                  failureReason: 'step build exited 1',
                  runId: `notify-run-${n}`,
                }),
              };
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        if (result.errors + result.non2xx > 0) {
          const statuses = JSON.stringify(result.statusCodeStats);
          return reject(
            new Error(
              `${result.errors + result.non2xx} failed reports (${result.errors} errors, ${result.timeouts} timeouts; statuses ${statuses})`,
            ),
          );
        }
        resolve(result.requests.average);
      },
    );
  });
}

export async function notifyPhase(rounds: number, seconds: number): Promise<void> {
  const scratch = await createBenchDatabase();
  const receiver = await startReceiver();
  const secrets = await mkdtemp(join(tmpdir(), 'kite-bench-secrets-'));
  // Receiver file secrets live in a folder per namespace (decision 0054).
  for (const namespace of [
    'notify-latency',
    ...Array.from({ length: 7 }, (_, i) => `notify-on-${i}`),
  ]) {
    await mkdir(join(secrets, namespace));
    await writeFile(join(secrets, namespace, 'hook'), receiver.url);
  }
  const kite = await startKite(scratch.url, { KITE_RECEIVER_SECRETS_DIR: secrets });
  try {
    const hook = { type: 'webhook', url: { file: 'hook' } };
    await put(kite.url, 'notify-latency', {
      receivers: [hook],
      groupBy: ['namespace', 'component'],
      groupWait: '0s',
    });
    for (let i = 0; i < 7; i++) await put(kite.url, `notify-on-${i}`, { receivers: [hook] });
    const latencies = [];
    const ratios = { on: [] as number[], off: [] as number[] };
    // Latency first: an ingest round leaves thousands of transitions to route and group
    // (group_wait 30s), which a latency round after it would wait behind.
    for (let round = 0; round < rounds; round += 1) {
      latencies.push(await latency(kite.url, receiver, round));
    }
    // Interleaved, alternating which goes first, so drift on the machine hits both alike.
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const mode of order) {
        ratios[mode].push(await ingest(kite.url, `notify-${mode}`, seconds));
        await drained(scratch.url);
      }
    }
    console.log(
      `\n### Notifications (${rounds} rounds; latency at ${RATE} changes/s for ${LATENCY_SECONDS}s, ingest ${seconds}s each)\n`,
    );
    console.log(
      '| round | latency p50 ms | latency p99 ms | missing | ingest off /s | ingest on /s |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    latencies.forEach((l, i) =>
      console.log(
        `| ${i + 1} | ${fmt(l.p50)} | ${fmt(l.p99)} | ${l.missing + l.errors} | ${fmt(ratios.off[i] ?? NaN, 0)} | ${fmt(ratios.on[i] ?? NaN, 0)} |`,
      ),
    );
    const ratio = median(ratios.on) / median(ratios.off);
    console.log(
      `\nnotification latency median p50 ${fmt(median(latencies.map((l) => l.p50)))} ms, p99 ${fmt(median(latencies.map((l) => l.p99)))} ms; ` +
        `ingest with subscriptions / without: ${fmt(ratio, 2)} (target >= 0.90); messages received: ${receiver.messages}`,
    );
  } finally {
    await kite.stop();
    await receiver.close();
    await rm(secrets, { recursive: true, force: true });
    await scratch.drop();
  }
}
