/**
 * The cost of live event streams to ingest: webhook ingest at 64 in flight with 200
 * event-stream subscribers connected and reading, as a ratio to the same ingest with
 * none, on one server process in the same run. Target ≥ 0.90 (subscribers cost < 10%).
 *
 * The subscribers read every change (they name no namespace, so each change goes to all
 * 200): the worst case for the fan-out. They run in a worker thread of this process;
 * their reading shares the machine's cores with the server, as browsers on the same
 * host would.
 *
 * Beside the rates, CPU per report: the server's, the subscribers' reading, and all of
 * it (server, its database backends, the load generator, the readers). On a machine
 * shared with other work the rates swing from run to run; the ratio of all CPU per
 * report without and with subscribers is the ratio ingest would reach were this work
 * alone on the CPUs, and the readers' share of it is a floor no server change removes.
 */
import autocannon from 'autocannon';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
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
  /**
   * CPU (ms) per request of this process's threads other than the load generator's (the
   * subscribers' worker, when open): what reading the streams costs the shared machine.
   */
  readersCpuPerRequest: number;
  /** CPU (ms) per request of the server, its database backends, load generator and readers. */
  allCpuPerRequest: number;
}

/** CPU of this process's threads other than the main one (the load generator). */
const readersCpu = () => cpuMs(process.pid) - cpuMs(process.pid, true);

/** The CPU so far of the PostgreSQL backends serving `databaseUrl`'s database. */
async function databaseCpu(databaseUrl: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    const cpu = new Map<number, number>();
    for (const { pid } of rows) {
      try {
        cpu.set(pid, cpuMs(pid));
      } catch {
        // The backend ended meanwhile.
      }
    }
    return cpu;
  } finally {
    await client.end();
  }
}

/** CPU used since `before` by the backends that were there then (and still are). */
function databaseCpuSince(before: Map<number, number>): number {
  let used = 0;
  for (const [pid, at] of before) {
    try {
      used += cpuMs(pid) - at;
    } catch {
      // The backend ended: its last share is not counted.
    }
  }
  return used;
}

async function ingest(
  url: string,
  databaseUrl: string,
  seconds: number,
  pid: number,
): Promise<Ingest> {
  const database = await databaseCpu(databaseUrl);
  const cpuBefore = cpuMs(pid);
  const readersBefore = readersCpu();
  const allBefore = cpuMs(process.pid);
  const result = await load(url, seconds);
  const cpu = cpuMs(pid) - cpuBefore;
  const all = cpu + cpuMs(process.pid) - allBefore + databaseCpuSince(database);
  const requests = Math.max(1, result.requests);
  return {
    ...result,
    cpuPerRequest: cpu / requests,
    readersCpuPerRequest: (readersCpu() - readersBefore) / requests,
    allCpuPerRequest: all / requests,
  };
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
      const alone = await ingest(kite.url, databaseUrl, seconds, pid);
      none.push(alone);
      const subscribers = await subscribe(kite.url, SUBSCRIBERS);
      const watched = await ingest(kite.url, databaseUrl, seconds, pid);
      // Let the streams take what is still on its way before counting.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      delivered += await subscribers.events();
      await subscribers.close();
      some.push(watched);
      errors += alone.errors + watched.errors;
      console.log(
        `sse round ${round}: ratio ${fmt(watched.rate / alone.rate, 2)}, server CPU ms/report ` +
          `${fmt(alone.cpuPerRequest, 2)} -> ${fmt(watched.cpuPerRequest, 2)}, ` +
          `readers ${fmt(watched.readersCpuPerRequest, 2)}, all ` +
          `${fmt(alone.allCpuPerRequest, 2)} -> ${fmt(watched.allCpuPerRequest, 2)}`,
      );
    }
    const rate = (runs: Ingest[]) => median(runs.map((run) => run.rate));
    const cpu = (runs: Ingest[]) => median(runs.map((run) => run.cpuPerRequest));
    const readers = (runs: Ingest[]) => median(runs.map((run) => run.readersCpuPerRequest));
    const all = (runs: Ingest[]) => median(runs.map((run) => run.allCpuPerRequest));
    const ratio = rate(some) / rate(none);
    const dropped = await droppedSlow(kite.url);
    console.log(
      `\n## Ingest with ${SUBSCRIBERS} event-stream subscribers (${IN_FLIGHT} in flight, median of ${rounds})\n`,
    );
    console.log(
      '| measurement | req/s | CPU ms per request: server | readers | all |\n' +
        '| --- | ---: | ---: | ---: | ---: |',
    );
    const row = (name: string, runs: Ingest[]) =>
      `| ${name} | ${fmt(rate(runs), 0)} | ${fmt(cpu(runs), 2)} | ${fmt(readers(runs), 2)} | ` +
      `${fmt(all(runs), 2)} |`;
    console.log(row('HTTP webhook, no subscribers', none));
    console.log(row(`HTTP webhook, ${SUBSCRIBERS} subscribers reading`, some));
    console.log(
      `\nsubscribers ratio (with / without): ${fmt(ratio, 2)} (target >= 0.90); ` +
        `events read ${delivered} (${fmt(delivered / SUBSCRIBERS / rounds, 0)} per subscriber per round), ` +
        `streams dropped as too slow ${dropped}, request errors ${errors}`,
    );
    console.log(
      `CPU ratio (all CPU per report, without / with): ${fmt(all(none) / all(some), 2)}; ` +
        `without the readers' share: ${fmt(all(none) / (all(some) - readers(some)), 2)}`,
    );
  } finally {
    await kite.stop();
  }
}
