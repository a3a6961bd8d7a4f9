/**
 * Latency of one request shape, measured two ways: one at a time (each request starts
 * when the previous one has answered, so the figure is the request's own cost), and as a
 * closed loop with a fixed number in flight (what the answer costs when others wait for
 * the same cores and connections). Both give up early on requests that take seconds:
 * the sample count, not only the duration, bounds them, so a slow request is reported
 * rather than stalling the run.
 */
import { request as httpRequest, type Agent } from 'node:http';
import { median, percentile } from './support.js';

export interface Sampled {
  /** Latencies in milliseconds, sorted. */
  latencies: number[];
  errors: number;
  /** The first failure's status and body, to say why a request failed. */
  firstError?: string;
}

export interface Answer {
  status: number;
  body: string;
}

/** A GET over a keep-alive agent; resolves with the status and the whole body. */
export function getText(
  agent: Agent,
  url: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Runs `operation` from `concurrency` workers until `seconds` have passed or `maxSamples`
 * have been started; a worker never starts after the deadline. `operation` resolves to
 * an error description or undefined.
 */
export async function sample(
  concurrency: number,
  seconds: number,
  maxSamples: number,
  operation: () => Promise<string | undefined>,
): Promise<Sampled> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let started = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      // At least one sample per worker, however slow, so a percentile always exists.
      while (started < concurrency || (performance.now() < deadline && started < maxSamples)) {
        started += 1;
        const t0 = performance.now();
        let failure: string | undefined;
        try {
          failure = await operation();
        } catch (error) {
          failure = error instanceof Error ? error.message : String(error);
        }
        if (failure === undefined) latencies.push(performance.now() - t0);
        else {
          errors += 1;
          firstError ??= failure;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { latencies, errors, ...(firstError !== undefined ? { firstError } : {}) };
}

/** A GET that succeeds only with status 200. */
export function okGet(agent: Agent, url: string, headers: Record<string, string> = {}) {
  return async (): Promise<string | undefined> => {
    const answer = await getText(agent, url, headers);
    return answer.status === 200 ? undefined : `${answer.status} ${answer.body.slice(0, 200)}`;
  };
}

export const p50 = (s: Sampled) => percentile(s.latencies, 0.5);
export const p99 = (s: Sampled) => percentile(s.latencies, 0.99);
export const worst = (s: Sampled) => s.latencies.at(-1) ?? NaN;
export const middle = (s: Sampled) => median(s.latencies);
