/**
 * The notification dispatcher: one per server replica (docs/notifications.md). Each tick
 * it routes the outbox into subscription groups, flushes the groups that are due (asking
 * `muted` about their issues first: a muted transition is held, not dropped) and sends
 * the deliveries that are due, retrying with exponential backoff until the last attempt
 * marks one dead. Ticks come from a NOTIFY the outbox trigger sends, from the next due
 * time, and from a slow poll (another replica's groups, retries).
 *
 * Replicas share the work through the queue's row locks (src/store/notification-queue.ts):
 * a transition is routed once, a group flushed once, a delivery claimed by one replica.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { planFlush } from '../domain/notification.js';
import type { Database } from '../store/database.js';
import type { ClaimedDelivery, NotificationQueue } from '../store/notification-queue.js';
import { NOTIFICATION_CHANNEL } from '../store/schema-notifications.js';
import type { NotificationMetrics } from './metrics.js';
import { send, type ReceiverContext } from './receivers.js';
import { DeliveryError } from './secrets.js';

export interface DispatcherLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface DispatcherOptions {
  db: Database;
  queue: NotificationQueue;
  receivers: ReceiverContext;
  log: DispatcherLog;
  metrics?: NotificationMetrics;
  /**
   * Which of these issues a silence mutes now (issue id → silence id); absent: none.
   * Asked when a group is flushed; a muted transition waits and is told once it is not.
   */
  muted?: (issueIds: string[]) => Promise<Map<string, string>>;
  /** The slow poll; default 2 s. */
  pollMs?: number;
  /** When held (muted) transitions are looked at again; default 30 s. */
  holdRecheckMs?: number;
  /** Attempts before a delivery is dead; default 8. */
  maxAttempts?: number;
  /** The first retry's delay, doubled for each further one up to `maxBackoffMs`; default 1 s. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long a claimed delivery is this replica's before another may take it; default 60 s. */
  leaseMs?: number;
  /** Sent deliveries older than this are deleted (hourly); default: kept. */
  sentRetentionMs?: number;
}

export interface Dispatcher {
  /** Runs one tick now (tests, and after start-up). */
  tick(): Promise<void>;
  /** Stops ticking and waits for the sends under way. */
  stop(): Promise<void>;
}

const BATCH = 200;
/** How long a stop waits for the tick under way (one stuck on a database gone away). */
const STOP_GRACE_MS = 5_000;
const PRUNE_EVERY_MS = 3_600_000;

export async function startDispatcher(options: DispatcherOptions): Promise<Dispatcher> {
  const { queue, log } = options;
  const pollMs = options.pollMs ?? 2000;
  const holdRecheckMs = options.holdRecheckMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 8;
  const backoffMs = options.backoffMs ?? 1000;
  const maxBackoffMs = options.maxBackoffMs ?? 300_000;
  const leaseMs = options.leaseMs ?? 60_000;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let prunedAt = Date.now();

  /** Sends one delivery; resolves to it when sent (recorded with the others), else records the failure. */
  const deliver = async (delivery: ClaimedDelivery): Promise<ClaimedDelivery[]> => {
    const type = delivery.receiver.type;
    try {
      await send(
        { id: delivery.id, receiver: delivery.receiver, message: delivery.message },
        options.receivers,
      );
      return [delivery];
    } catch (error) {
      const failure =
        error instanceof DeliveryError ? error : new DeliveryError('delivery failed', true);
      if (!(error instanceof DeliveryError)) {
        log.error({ delivery: delivery.id, err: error }, 'notification delivery failed');
      }
      const dead = !failure.retryable || delivery.attempts >= maxAttempts;
      const delay = Math.min(maxBackoffMs, backoffMs * 2 ** (delivery.attempts - 1));
      await queue.failed(delivery, failure.message, dead ? 'dead' : delay);
      options.metrics?.failed(type, dead);
      log.warn(
        {
          delivery: delivery.id,
          namespace: delivery.namespace,
          subscription: delivery.subscription,
          receiver: type,
          attempt: delivery.attempts,
          error: failure.message,
        },
        dead ? 'notification dead' : 'notification delivery will be retried',
      );
      return [];
    }
  };

  const work = async () => {
    while ((await queue.route(BATCH)) === BATCH && !stopped);
    const groups = await queue.dueGroups(BATCH);
    // One question to the silences for every group due now, then every flush in one
    // transaction: one commit per tick, not one per group.
    const ids = [...new Set(groups.flatMap((g) => g.pending.map((p) => p.issueId)))];
    const muted = options.muted && ids.length > 0 ? await options.muted(ids) : new Map();
    if (groups.length > 0 && !stopped) {
      await queue.flush(
        groups.map((group) => ({ group, plan: planFlush(group.pending, muted) })),
        { holdRecheckMs },
      );
    }
    const claim = randomUUID();
    for (;;) {
      if (stopped) return;
      const deliveries = await queue.claim(16, leaseMs, claim);
      const sent = (await Promise.all(deliveries.map(deliver))).flat();
      await queue.sent(sent);
      for (const delivery of sent) {
        options.metrics?.sent(delivery.receiver.type, delivery.message);
      }
      if (deliveries.length < 16) break;
    }
    if (options.sentRetentionMs !== undefined && Date.now() - prunedAt > PRUNE_EVERY_MS) {
      prunedAt = Date.now();
      await queue.prune(new Date(Date.now() - options.sentRetentionMs));
    }
  };

  const tick = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await work();
        } catch (error) {
          if (!stopped) log.error({ err: error }, 'notification dispatch failed');
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
      void schedule();
    });
    return running;
  };

  /** The next tick: when the next group or retry is due, at the latest after the poll. */
  const schedule = async () => {
    if (stopped) return;
    const due = await queue.nextDueInMs().catch(() => null);
    if (stopped || running) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), Math.min(pollMs, Math.max(10, due ?? pollMs)));
    timer.unref();
  };
  const unlisten = await options.db.listen(NOTIFICATION_CHANNEL, () => void tick());
  void tick();
  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await unlisten();
      // A tick whose database went away may never settle: it must not hold the shutdown.
      await Promise.race([running, sleep(STOP_GRACE_MS, undefined, { ref: false })]);
    },
  };
}
