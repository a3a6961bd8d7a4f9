/**
 * Archives the logs of completed MintMaker runs: pods are pruned soon after runs finish,
 * so when a run completes the operator reads every step container's log through the pod
 * log API and streams it to the server (`POST /api/v1/mintmaker/runs`, then one `PUT …
 * /steps/<task>/<step>` per step), which redacts and stores it. A step whose pod is
 * already gone is left as the archive has it. Failed uploads are retried with backoff;
 * only the leader archives.
 */
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { LiveCluster, LiveRun } from '../logs/live.js';
import { backoff } from './reporter.js';

export interface ArchiverOptions {
  apiUrl: string;
  token(): Promise<string | undefined>;
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
      await this.call(
        'POST',
        '/api/v1/mintmaker/runs',
        JSON.stringify({
          name: run.name,
          runNamespace: run.runNamespace,
          uid: run.uid,
          namespace: run.namespace,
          component: run.component,
          status: run.status,
          ...(run.gitHost ? { gitHost: run.gitHost } : {}),
          ...(run.repository ? { repository: run.repository } : {}),
          ...(run.branch ? { branch: run.branch } : {}),
          ...(run.repoBranchHash ? { repoBranchHash: run.repoBranchHash } : {}),
          ...(run.startTime ? { startTime: run.startTime } : {}),
          ...(run.completionTime ? { completionTime: run.completionTime } : {}),
        }),
        'application/json',
      );
      const steps = await this.options.live.steps(run);
      for (const [position, step] of steps.entries()) {
        const stream = await this.options.live.stream(run.runNamespace, step, false);
        if (!stream) continue; // the pod is gone: keep what the archive has
        const path = `/api/v1/mintmaker/runs/${encodeURIComponent(run.name)}/steps/${encodeURIComponent(step.task)}/${encodeURIComponent(step.step)}?position=${position}&runNamespace=${encodeURIComponent(run.runNamespace)}`;
        await this.call('PUT', path, stream, 'text/plain');
      }
      this.done.add(run.uid);
      this.options.count('archived');
    } catch (error) {
      job.attempts += 1;
      if (job.attempts >= this.options.maxAttempts) {
        this.options.count('failed');
        this.options.log.error(
          { run: `${run.runNamespace}/${run.name}`, err: (error as Error).message },
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

  private async call(
    method: string,
    path: string,
    body: string | Readable,
    type: string,
  ): Promise<void> {
    const token = await this.options.token();
    // A streamed request body needs `duplex: 'half'` (not in the DOM RequestInit type).
    const init: RequestInit & { duplex?: 'half' } = {
      method,
      headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
      ...(typeof body === 'string' ? {} : { duplex: 'half' }),
    };
    const response = await fetch(`${this.options.apiUrl}${path}`, init);
    const text = await response.text();
    if (!response.ok)
      throw new Error(
        `${method} ${path.split('?')[0]}: HTTP ${response.status}: ${text.slice(0, 200)}`,
      );
  }
}
