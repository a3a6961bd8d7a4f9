/**
 * Archives the logs of completed MintMaker runs: pods are pruned soon after runs finish,
 * so when a run completes the operator reads every step container's log through the pod
 * log API and streams it to the server (`POST /api/v1/mintmaker/runs`, then one `PUT …
 * /steps/<task>/<step>` per step), which redacts and stores it. A step whose pod is
 * already gone is left as the archive has it. Failed uploads are retried with backoff;
 * only the leader archives. Both calls go through the API client (src/client/): the
 * registration with the client's timeout, each upload without one (it streams as long as
 * the pod log takes) and never resent by the client (a stream is read once).
 */
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { KiteClient } from '../client/client.js';
import { KiteApiError } from '../client/errors.js';
import { registrationOf } from '../domain/mintmaker-run.js';
import type { LiveCluster, LiveRun } from '../logs/live.js';
import { backoff } from './reporter.js';

export interface ArchiverOptions {
  /** The API server, with the operator's token. */
  client: KiteClient;
  live: LiveCluster;
  log: Logger;
  concurrency: number;
  maxAttempts: number;
  count(result: 'archived' | 'failed' | 'retried'): void;
}

export class LogArchiver {
  private readonly queue = new Map<string, { run: LiveRun; attempts: number }>();
  private readonly done = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private active = 0;
  private running = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: ArchiverOptions) {}

  /** Queues a completed run (once per run uid). */
  enqueue(run: LiveRun): void {
    if (this.done.has(run.uid) || this.queue.has(run.uid)) return;
    this.queue.set(run.uid, { run, attempts: 0 });
    this.pump();
  }

  start(): void {
    this.running = true;
    this.pump();
  }

  stop(): void {
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  idle(): Promise<void> {
    if (this.queue.size === 0 && this.active === 0 && this.timers.size === 0)
      return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running && this.active < this.options.concurrency && this.queue.size > 0) {
      const next = this.queue.entries().next();
      if (next.done) return;
      const [uid, job] = next.value;
      this.queue.delete(uid);
      this.active += 1;
      void this.archive(job).finally(() => {
        this.active -= 1;
        this.pump();
        if (this.queue.size === 0 && this.active === 0 && this.timers.size === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const resolve of waiters) resolve();
        }
      });
    }
  }

  private async archive(job: { run: LiveRun; attempts: number }): Promise<void> {
    const { run } = job;
    try {
      await this.options.client.registerRun(registrationOf(run));
      const steps = await this.options.live.steps(run);
      for (const [position, step] of steps.entries()) {
        const stream = await this.options.live.stream(run.runNamespace, step, false);
        if (!stream) continue; // the pod is gone: keep what the archive has
        await this.options.client.uploadStepLog(
          {
            run: run.name,
            task: step.task,
            step: step.step,
            position,
            runNamespace: run.runNamespace,
          },
          // The pod log arrives as a Node stream; fetch sends web streams.
          Readable.toWeb(stream) as ReadableStream<Uint8Array>,
        );
      }
      this.done.add(run.uid);
      this.options.count('archived');
    } catch (error) {
      job.attempts += 1;
      if (job.attempts >= this.options.maxAttempts) {
        this.options.count('failed');
        this.options.log.error(
          {
            run: `${run.runNamespace}/${run.name}`,
            // The server's status and message (KiteApiError), or why there was no answer.
            ...(error instanceof KiteApiError ? { status: error.status } : {}),
            err: (error as Error).message,
          },
          'could not archive the logs of a MintMaker run; giving up',
        );
        return;
      }
      this.options.count('retried');
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          if (!this.queue.has(run.uid)) this.queue.set(run.uid, job);
          this.pump();
        },
        backoff(job.attempts, 500, 60_000),
      );
      this.timers.add(timer);
    }
  }
}
