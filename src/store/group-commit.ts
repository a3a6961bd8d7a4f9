/**
 * Group commit for writes that arrive together: callers submit one item each and get
 * their own answer, while the items are written in groups, one statement and one commit
 * per group, so many writers share one WAL flush (docs/decisions/0031-group-commit.md).
 *
 * A group starts as soon as a slot is free (with `windowMs`, that long after its first
 * item), so a lone write waits for nothing and, under load, items pile up while earlier
 * groups commit. Items with the same key are written in the order they were submitted,
 * one per group: an item waits while its key is in a group being written. A group that
 * fails is written again one item at a time, so one bad item fails alone — except when
 * the database is unreachable, where the outcome of the commit is unknown and a retry
 * could write twice.
 */
import { isUnavailable } from './database.js';

export interface GroupCommitOptions {
  /** How long a group waits for more items after its first; 0: only while others commit. */
  windowMs: number;
  /** The most items in one group. */
  maxItems: number;
  /** Groups being written at once (each on its own connection). */
  maxInFlight: number;
}

export interface GroupWriter<T, R> {
  /** The key of an item: items of one key are written in submission order. */
  key(item: T): string;
  /** Writes one item alone. */
  one(item: T): Promise<R>;
  /**
   * Writes items of distinct keys together. Rejects when nothing was written; otherwise
   * resolves to each item's own answer, in order.
   */
  many(items: T[]): Promise<Promise<R>[]>;
}

interface Pending<T, R> {
  item: T;
  key: string;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export interface GroupCommit<T, R> {
  submit(item: T): Promise<R>;
}

export function createGroupCommit<T, R>(
  writer: GroupWriter<T, R>,
  options: GroupCommitOptions,
): GroupCommit<T, R> {
  const queue: Pending<T, R>[] = [];
  const busyKeys = new Set<string>();
  let inFlight = 0;
  let scheduled = false;

  const schedule = () => {
    if (scheduled || inFlight >= options.maxInFlight || queue.length === 0) return;
    scheduled = true;
    const start = () => {
      scheduled = false;
      startGroup();
    };
    // setImmediate: after the I/O callbacks of this turn, so requests that arrived together
    // (and reached here through their microtasks) share a group.
    if (options.windowMs > 0 && queue.length < options.maxItems) {
      setTimeout(start, options.windowMs).unref();
    } else setImmediate(start);
  };

  const startGroup = () => {
    const group: Pending<T, R>[] = [];
    const keys = new Set<string>();
    for (let i = 0; i < queue.length && group.length < options.maxItems;) {
      const pending = queue[i] as Pending<T, R>;
      // A key already taken waits, and so does every later item of that key.
      if (busyKeys.has(pending.key) || keys.has(pending.key)) {
        keys.add(pending.key);
        i += 1;
        continue;
      }
      keys.add(pending.key);
      group.push(pending);
      queue.splice(i, 1);
    }
    if (group.length === 0) return;
    for (const pending of group) busyKeys.add(pending.key);
    inFlight += 1;
    void write(group).finally(() => {
      for (const pending of group) busyKeys.delete(pending.key);
      inFlight -= 1;
      schedule();
    });
    schedule();
  };

  const write = async (group: Pending<T, R>[]) => {
    if (group.length === 1) {
      await settle(group, () => group.map((pending) => writer.one(pending.item)));
      return;
    }
    let answers: Promise<R>[];
    try {
      answers = await writer.many(group.map((pending) => pending.item));
    } catch (error) {
      if (isUnavailable(error)) {
        for (const pending of group) pending.reject(error);
        return;
      }
      // Nothing was written: each item again on its own, so only a bad one fails.
      await settle(group, () => group.map((pending) => writer.one(pending.item)));
      return;
    }
    await settle(group, () => answers);
  };

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, key: writer.key(item), resolve, reject });
        schedule();
      });
    },
  };
}

/** Hands each pending item its answer; resolves when all have one. */
async function settle<T, R>(group: Pending<T, R>[], answers: () => Promise<R>[]): Promise<void> {
  const results = await Promise.allSettled(answers());
  results.forEach((result, i) => {
    const pending = group[i] as Pending<T, R>;
    if (result.status === 'fulfilled') pending.resolve(result.value);
    else pending.reject(result.reason);
  });
}
