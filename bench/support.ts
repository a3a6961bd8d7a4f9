/**
 * Benchmark plumbing: a scratch database on the local PostgreSQL, the real `kite serve`
 * process, an RSS sampler and a CPU clock for processes, a tight driver loop for
 * baselines, and statistics.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createScratchDatabase } from '../test/support/scratch-database.js';

const ADMIN_URL =
  process.env.KITE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A scratch database on the benchmark's PostgreSQL server. */
export const createBenchDatabase = () => createScratchDatabase(ADMIN_URL, 'kite_bench');

export interface KiteProcess {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the built `kite serve` (dist/) on a free port against `databaseUrl`, or with an
 * empty `databaseUrl` on the embedded PGlite (give `KITE_DATA_DIR` in `env`). Rate
 * limiting is off (a load generator is one caller sending far more than a person), unless
 * `env` turns it on.
 */
export function startKite(
  databaseUrl: string,
  env: Record<string, string> = {},
  nodeFlags: string[] = [],
): Promise<KiteProcess> {
  const inherited = { ...process.env };
  delete inherited.KITE_DATABASE_URL;
  const database = databaseUrl ? { KITE_DATABASE_URL: databaseUrl } : {};
  const child = spawn(
    process.execPath,
    [...nodeFlags, 'dist/cli/main.js', 'serve', '--port', '0'],
    {
      env: { ...inherited, ...database, KITE_AUTH_MODE: 'none', KITE_RATE_LIMIT: '0', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (!url) return;
      // Keep draining the log pipe (as a log collector would) without keeping it.
      child.stdout?.off('data', onData);
      child.stdout?.on('data', () => undefined);
      resolve({
        child,
        url,
        stop: () =>
          new Promise((done) => {
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`kite exited with ${code}: ${output}`)));
  });
}

/** Clock ticks per second of the CPU times in /proc (USER_HZ). */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/**
 * The CPU time (user + system) a process has used so far, in milliseconds (Linux /proc);
 * with `mainThread`, only its main thread's (where a Node process runs JavaScript).
 */
export function cpuMs(pid: number, mainThread = false): number {
  const stat = readFileSync(
    mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`,
    'utf8',
  );
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** Samples a process's resident set size (Linux /proc) until stopped; returns the peak in MiB. */
export function sampleRss(pid: number, everyMs = 100): { peakMiB: () => number; stop: () => void } {
  let peakKiB = 0;
  const read = () => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
      peakKiB = Math.max(peakKiB, kib);
    } catch {
      // the process is gone
    }
  };
  read();
  const timer = setInterval(read, everyMs);
  return { peakMiB: () => peakKiB / 1024, stop: () => clearInterval(timer) };
}

export interface LoadResult {
  rate: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Runs `operation` from `concurrency` workers for `seconds`; latency in milliseconds. */
export async function tightLoop(
  concurrency: number,
  seconds: number,
  operation: (i: number) => Promise<unknown>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await operation(next++);
          latencies.push(performance.now() - t0);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return summarize(latencies, elapsed, errors);
}

function summarize(latencies: number[], elapsedSeconds: number, errors: number): LoadResult {
  latencies.sort((a, b) => a - b);
  return {
    rate: latencies.length / elapsedSeconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors,
  };
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/**
 * An open-loop load: starts one GET every 1/rate seconds (evenly paced, not in bursts)
 * whatever the answers are doing, and measures each request from its scheduled start,
 * so a slow server shows as latency rather than as a lower request rate.
 */
export async function pacedLoad(
  baseUrl: string,
  paths: string[],
  rate: number,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const latencies: number[] = [];
  let errors = 0;
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i += 1) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const path = paths[i % paths.length] ?? '/';
    inFlight.push(
      new Promise<void>((resolve) => {
        const req = httpRequest(new URL(path, baseUrl), { agent, headers }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - due);
            else errors += 1;
            resolve();
          });
        });
        req.on('error', () => {
          errors += 1;
          resolve();
        });
        req.end();
      }),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return summarize(latencies, elapsed, errors);
}
