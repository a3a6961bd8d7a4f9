/**
 * The cost of live event streams to ingest: webhook ingest at 64 in flight with 200
 * event-stream subscribers connected and reading, as a ratio to the same ingest with
 * none, on one server process in the same run. Target ≥ 0.90 (subscribers cost < 10%).
 *
 * The subscribers read every change (they name no namespace, so each change goes to all
 * 200): the worst case for the fan-out. They run in a worker thread of this process;
 * their reading shares the machine's cores with the server, as browsers on the same
 * host would.
 */
import autocannon from 'autocannon';
import { Worker } from 'node:worker_threads';
import { cpuMs, fmt, median, startKite } from './support.js';

const SUBSCRIBERS = 200;
const IN_FLIGHT = 64;

let sequence = 0;
const failureBody = () => {
  const n = sequence++;
  return JSON.stringify({
    pipelineName: `github.com/org/sse-${n}@main`,
    namespace: `sse-${n % 7}`,
    failureReason: 'step build exited 1',
    runId: `sse-run-${n}`,
  });
};

interface Ingest {
  rate: number;
  errors: number;
  /** Server CPU (ms) per request: steadier than the rate on a busy shared machine. */
  cpuPerRequest: number;
}

async function ingest(url: string, seconds: number, pid: number): Promise<Ingest> {
  const cpuBefore = cpuMs(pid);
  const result = await load(url, seconds);
  const cpu = cpuMs(pid) - cpuBefore;
  return { ...result, cpuPerRequest: cpu / Math.max(1, result.requests) };
}

function load(
  url: string,
  seconds: number,
): Promise<{ rate: number; errors: number; requests: number }> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: IN_FLIGHT,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path: '/api/v1/webhooks/pipeline-failure',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => ({ ...request, body: failureBody() }),
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        resolve({
          rate: result.requests.average,
          errors: result.errors + result.non2xx,
          requests: result.requests.total,
        });
      },
    );
  });
}

interface Subscribers {
  /** Events read so far, over all subscribers. */
  events(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The subscribers' code, run in a worker thread: their reading must not slow the load
 * generator's event loop, or the ratio would measure the bench rather than the server.
 */
const SUBSCRIBER_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { Agent, get } = require('node:http');
const agent = new Agent({ keepAlive: false, maxSockets: workerData.count });
const requests = [];
let events = 0;
let open = 0;
for (let i = 0; i < workerData.count; i += 1) {
  const request = get(new URL('/api/v1/events', workerData.url), { agent }, (response) => {
    if (response.statusCode !== 200) throw new Error('event stream answered ' + response.statusCode);
    response.setEncoding('utf8');
    response.on('data', (chunk) => {
      for (let at = chunk.indexOf('event: '); at >= 0; at = chunk.indexOf('event: ', at + 7)) events += 1;
    });
    response.on('error', () => undefined);
    open += 1;
    if (open === workerData.count) parentPort.postMessage({ open });
  });
  request.on('error', (error) => { throw error; });
  requests.push(request);
}
parentPort.on('message', (message) => {
  if (message === 'count') parentPort.postMessage({ events });
  if (message === 'close') {
    for (const request of requests) request.destroy();
    agent.destroy();
    parentPort.postMessage({ closed: true });
  }
});
`;

/** Opens `count` streams in a worker and resolves once each has its response head. */
async function subscribe(url: string, count: number): Promise<Subscribers> {
  const worker = new Worker(SUBSCRIBER_WORKER, { eval: true, workerData: { url, count } });
  const reply = <T>(key: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (message: Record<string, T>) => {
        if (!(key in message)) return;
        worker.off('message', onMessage);
        resolve(message[key] as T);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  await reply<number>('open');
  return {
    events: () => {
      const answer = reply<number>('events');
      worker.postMessage('count');
      return answer;
    },
    close: async () => {
      const answer = reply<boolean>('closed');
      worker.postMessage('close');
      await answer;
      await worker.terminate();
    },
  };
}

async function droppedSlow(url: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  return Number(/^kite_event_streams_dropped_slow_total (\d+)/m.exec(text)?.[1] ?? 0);
}

export async function ssePhase(
  databaseUrl: string,
  rounds: number,
  seconds: number,
): Promise<void> {
  const kite = await startKite(databaseUrl, {
    KITE_EVENT_STREAMS_PER_CALLER: String(SUBSCRIBERS + 10),
  });
  try {
    const pid = kite.child.pid ?? 0;
    await load(kite.url, 2); // warm-up, unmeasured
    const none: Ingest[] = [];
    const some: Ingest[] = [];
    let errors = 0;
    let delivered = 0;
    for (let round = 1; round <= rounds; round += 1) {
      const alone = await ingest(kite.url, seconds, pid);
      none.push(alone);
      const subscribers = await subscribe(kite.url, SUBSCRIBERS);
      const watched = await ingest(kite.url, seconds, pid);
      // Let the streams take what is still on its way before counting.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      delivered += await subscribers.events();
      await subscribers.close();
      some.push(watched);
      errors += alone.errors + watched.errors;
      console.log(`sse round ${round} done`);
    }
    const rate = (runs: Ingest[]) => median(runs.map((run) => run.rate));
    const cpu = (runs: Ingest[]) => median(runs.map((run) => run.cpuPerRequest));
    const ratio = rate(some) / rate(none);
    const dropped = await droppedSlow(kite.url);
    console.log(
      `\n## Ingest with ${SUBSCRIBERS} event-stream subscribers (${IN_FLIGHT} in flight, median of ${rounds})\n`,
    );
    console.log('| measurement | req/s | server CPU ms per request |\n| --- | ---: | ---: |');
    console.log(`| HTTP webhook, no subscribers | ${fmt(rate(none), 0)} | ${fmt(cpu(none), 2)} |`);
    console.log(
      `| HTTP webhook, ${SUBSCRIBERS} subscribers reading | ${fmt(rate(some), 0)} | ${fmt(cpu(some), 2)} |`,
    );
    console.log(
      `\nsubscribers ratio (with / without): ${fmt(ratio, 2)} (target >= 0.90); ` +
        `events read ${delivered} (${fmt(delivered / SUBSCRIBERS / rounds, 0)} per subscriber per round), ` +
        `streams dropped as too slow ${dropped}, request errors ${errors}`,
    );
  } finally {
    await kite.stop();
  }
}
