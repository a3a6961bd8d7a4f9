/**
 * Delivery to the API server. A bounded, coalescing work queue (one entry per run: a
 * newer state of a run replaces its pending one), a few workers, and retries with
 * exponential backoff and jitter while the server is unreachable, answers 5xx or 429, or
 * refuses the operator's credentials (401); a report refused for its namespace (403) is
 * retried alone with its own backoff. Nothing is dropped: a failed delivery goes
 * back into the queue; a run that did not fit in a full queue is picked up again by the
 * next resync from the informer cache. Workers only run while this replica leads.
 * Requests go through the API client (src/client/) with its retries off: this queue
 * retries, with its own backoff, without holding up a worker.
 */
import type { Logger } from 'pino';
import type { KiteClient } from '../client/client.js';
import { KiteApiError } from '../client/errors.js';

export interface Delivery {
  /** The run: `<controller>/<namespace>/<name>`. */
  key: string;
  /** Its resourceVersion: a run already delivered at this version is not sent again. */
  version: string;
  /**
   * Decided when the delivery is taken from the queue: the request, `undefined` to skip
   * it, or `defer` to try again shortly (details still on their way; `final` is true
   * once it has waited long enough and must report what it has).
   */
  request(
    final: boolean,
  ):
    | { webhook: string; body: { namespace: string } & Record<string, unknown> }
    | undefined
    | 'defer';
}

export interface ReporterOptions {
  /** The API server, with the operator's token. */
  client: KiteClient;
  capacity: number;
  concurrency: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How long one delivery waits for the server's answer. */
  timeoutMs: number;
  log: Logger;
  count(event: 'sent' | 'failed' | 'retried' | 'skipped' | 'overflow'): void;
}

/** How long, and how many times, a run waits for details still on their way. */
const DEFER_MS = 200;
const MAX_DEFERRALS = 25;

export class Reporter {
  private readonly queue = new Map<string, Delivery>();
  /** The version last delivered per run, so a resync does not send it again. */
  private readonly delivered = new Map<string, string>();
  private inFlight = 0;
  /** The version of each run being sent now: queuing it again would send it twice. */
  private readonly sending = new Map<string, string>();
  private running = false;
  private failures = 0;
  private pausedUntil = 0;
  private readonly sleepers = new Set<() => void>();
  /** Runs refused with 403, by the number of refusals so far, and their retry timers. */
  private readonly denied = new Map<string, number>();
  private readonly parked = new Set<NodeJS.Timeout>();
  private readonly deferred = new Map<string, number>();
  private idleWaiters: (() => void)[] = [];
  /** True when something did not fit: the next resync must look at every run again. */
  overflowed = false;

  constructor(private readonly options: ReporterOptions) {}

  /** Runs not delivered yet: queued, being sent, or parked until a retry. */
  get depth(): number {
    return this.queue.size + this.inFlight + this.parked.size;
  }

  /** Queues a run unless it was already delivered at this version; false when full. */
  enqueue(delivery: Delivery): boolean {
    if (this.delivered.get(delivery.key) === delivery.version) return true;
    if (this.sending.get(delivery.key) === delivery.version) return true;
    if (!this.queue.has(delivery.key) && this.queue.size >= this.options.capacity) {
      this.overflowed = true;
      this.options.count('overflow');
      return false;
    }
    this.queue.set(delivery.key, delivery);
    this.wakeAll();
    return true;
  }

  /** The run is gone from the cluster: forget what was delivered (a queued delivery stays). */
  forget(key: string): void {
    this.delivered.delete(key);
  }

  /** Starts the workers (this replica became the leader). */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.options.concurrency; i += 1) void this.work();
  }

  /** Stops taking work (leadership lost or shutting down); in-flight requests finish. */
  stop(): void {
    this.running = false;
    for (const timer of this.parked) clearTimeout(timer);
    this.parked.clear();
    this.wakeAll();
  }

  /** Resolves when the queue is empty and nothing is in flight (for tests and shutdown). */
  idle(): Promise<void> {
    if (this.queue.size === 0 && this.inFlight === 0 && this.parked.size === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async work(): Promise<void> {
    while (this.running) {
      const wait = this.pausedUntil - Date.now();
      if (wait > 0) {
        await this.sleep(wait);
        continue;
      }
      const next = this.queue.entries().next();
      if (next.done) {
        this.notifyIdle();
        await this.sleep(60_000);
        continue;
      }
      const [key, delivery] = next.value;
      this.queue.delete(key);
      this.inFlight += 1;
      this.sending.set(key, delivery.version);
      try {
        await this.deliver(delivery);
      } finally {
        this.inFlight -= 1;
        this.sending.delete(key);
      }
    }
  }

  private async deliver(delivery: Delivery): Promise<void> {
    const deferrals = this.deferred.get(delivery.key) ?? 0;
    const request = delivery.request(deferrals >= MAX_DEFERRALS);
    if (request === 'defer') {
      this.deferred.set(delivery.key, deferrals + 1);
      this.park(delivery, DEFER_MS);
      return;
    }
    this.deferred.delete(delivery.key);
    if (!request) {
      this.delivered.set(delivery.key, delivery.version);
      this.options.count('skipped');
      return;
    }
    const result = await this.post(request.webhook, request.body);
    if (result === 'ok') {
      this.delivered.set(delivery.key, delivery.version);
      this.failures = 0;
      this.options.count('sent');
      return;
    }
    if (result === 'denied') {
      // Refused for this namespace (a missing or late RBAC binding): retry this run alone,
      // with its own backoff, so one namespace never holds up the others.
      const attempts = (this.denied.get(delivery.key) ?? 0) + 1;
      this.denied.set(delivery.key, attempts);
      this.options.count('retried');
      const timer = setTimeout(
        () => {
          this.parked.delete(timer);
          if (!this.queue.has(delivery.key)) this.enqueue(delivery);
        },
        backoff(attempts, this.options.backoffBaseMs, this.options.backoffMaxMs),
      );
      this.parked.add(timer);
      return;
    }
    this.denied.delete(delivery.key);
    if (result === 'permanent') {
      this.delivered.set(delivery.key, delivery.version);
      this.options.count('failed');
      return;
    }
    // Retry later, unless a newer state of the run was queued meanwhile.
    if (!this.queue.has(delivery.key)) this.queue.set(delivery.key, delivery);
    this.failures += 1;
    const delay = backoff(this.failures, this.options.backoffBaseMs, this.options.backoffMaxMs);
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + delay);
    this.options.count('retried');
    if (this.failures === 1 || this.failures % 10 === 0) {
      this.options.log.warn(
        { failures: this.failures, retryInMs: delay, queued: this.queue.size },
        'the API server is not taking reports: retrying with backoff',
      );
    }
  }

  private async post(
    webhook: string,
    body: { namespace: string } & Record<string, unknown>,
  ): Promise<'ok' | 'retry' | 'denied' | 'permanent'> {
    try {
      await this.options.client.webhook(webhook, body, {
        retries: 0,
        timeoutMs: this.options.timeoutMs,
      });
      return 'ok';
    } catch (error) {
      // No answer at all (timeout, connection failed): the server may be down.
      if (!(error instanceof KiteApiError)) return 'retry';
      return this.judge(error, webhook, body.namespace);
    }
  }

  private judge(
    error: KiteApiError,
    webhook: string,
    namespace: string,
  ): 'retry' | 'denied' | 'permanent' {
    const { status } = error;
    if (status >= 500 || status === 429 || status === 408) return 'retry';
    if (status === 401) {
      this.options.log.error('the API server refused the operator token (401): retrying');
      return 'retry';
    }
    if (status === 403) {
      this.options.log.error(
        { webhook, namespace },
        'the API server refused the report (403): is the reporter role bound for this namespace? retrying',
      );
      return 'denied';
    }
    this.options.log.error(
      { webhook, status, answer: error.message.slice(0, 500), namespace },
      'the API server rejected a report; it will not be retried',
    );
    return 'permanent';
  }

  /** Puts a delivery back in the queue after a while (unless a newer one is queued). */
  private park(delivery: Delivery, ms: number): void {
    const timer = setTimeout(() => {
      this.parked.delete(timer);
      if (!this.queue.has(delivery.key)) this.enqueue(delivery);
    }, ms);
    this.parked.add(timer);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private wakeAll(): void {
    for (const done of [...this.sleepers]) done();
  }

  private notifyIdle(): void {
    if (this.queue.size > 0 || this.inFlight > 0 || this.parked.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
export function backoff(failures: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
