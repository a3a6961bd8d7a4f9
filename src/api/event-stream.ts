/**
 * One open `/api/v1/events` stream once its head is written (routes/events.ts opens it):
 * what it replays, how it takes the hub's ticks, its notices, heartbeats and rights
 * re-checks, and when it is dropped.
 *
 * A tick goes out at once, as the hub's shared rendering, when the stream has nothing
 * queued and its rights for the tick's namespaces are known without asking (a fresh
 * cached allowance); otherwise it waits in the stream's queue behind what came before
 * and asks (decision 16). Either way the stream writes what the tick renders for the
 * namespaces it may read, from its own position: never a change of another namespace,
 * each frame with its `id:` (docs/decisions/0038-shared-tick-batches.md).
 */
import type { ServerResponse } from 'node:http';
import type { Missed } from '../store/change-feed.js';
import { changeFrame, FLUSH_MS, sseFrame, tickOf, type Rendered, type Tick } from './event-hub.js';
import type { RightsNotice, StreamRights } from './stream-rights.js';

const HEARTBEAT_MS = 15_000;
/** Changes waiting in a stream's queue; a stream this far behind is ended. */
const MAX_PENDING = 10_000;
/** A dropped slow client gets this long to take its last bytes before its socket is cut. */
const DROP_GRACE_MS = 5_000;
/** Missed changes are replayed this many at a time, each batch paced by the client. */
const REPLAY_BATCH = 64;
/**
 * How long a resumed stream remembers the ids it replayed. A change committed before
 * the replay read the table may still be on its way as a notification; seconds would
 * do, this is generous.
 */
const REPLAYED_MEMORY_MS = 30_000;

export interface EventStreamSetup {
  raw: ServerResponse;
  /** The position written in the head: the highest event id delivered so far. */
  position: string;
  missed: Missed;
  /** Ticks the hub handed over while the missed changes were read, in order. */
  live: readonly Tick[];
  rights: (notify: (notice: RightsNotice) => void) => StreamRights;
  recheckMs: number;
  bufferBytes: number;
  /** The server's own cluster (changes name their cluster). */
  local: string;
  onTooSlow?: () => void;
  /** Called once when the stream closes, for whatever reason. */
  onClose: () => void;
}

export interface OpenStream {
  take: (tick: Tick) => void;
  close: () => void;
}

export function openEventStream(setup: EventStreamSetup): OpenStream {
  const { raw, bufferBytes } = setup;
  let position = setup.position;
  let closed = false;
  let checking = false;
  let outbox = '';
  let flushing: NodeJS.Timeout | undefined;
  const writable = () => !closed && !raw.writableEnded;

  /** Queues a notice or a heartbeat; it goes out with the next tick or after `FLUSH_MS`. */
  const writeFrame = (frame: string) => {
    if (!writable()) return;
    outbox += frame;
    flushing ??= setTimeout(flush, FLUSH_MS);
  };
  function flush() {
    clearTimeout(flushing);
    flushing = undefined;
    if (outbox === '' || !writable()) return;
    raw.write(outbox);
    outbox = '';
    judge();
  }
  /**
   * Judges the bytes waiting once this turn's writes have been handed to the socket
   * (Node corks writes within a turn): what the kernel did not take then is the
   * client's, and past the bound the client is too slow.
   */
  function judge() {
    if (checking || raw.writableLength <= bufferBytes) return;
    checking = true;
    setImmediate(() => {
      checking = false;
      if (raw.writableLength > bufferBytes) tooSlow();
    });
  }
  const write = (event: string, data: unknown) =>
    writeFrame(`id: ${position}\n${sseFrame(event, data)}`);
  const onNotice = (notice: RightsNotice) => {
    if (notice.kind === 'dropped') {
      write('dropped', { namespaces: notice.dropped, remaining: notice.remaining });
    } else {
      write('end', { reason: notice.reason });
      close();
    }
  };
  const rights = setup.rights(onNotice);

  /** Writes a rendering after the notices gathered before it; moves the position. */
  const emit = (rendered: Rendered | undefined) => {
    if (!rendered || !writable()) return;
    position = rendered.position;
    if (outbox !== '') flush();
    raw.write(rendered.bytes);
  };
  /** The tick's namespaces this stream may be shown, when known without asking. */
  const shownNow = (tick: Tick): Set<string> | undefined => {
    const shown = new Set<string>();
    for (const namespace of tick.namespaces) {
      const may = rights.mayDeliverNow(namespace);
      if (may === undefined) return undefined;
      if (may) shown.add(namespace);
    }
    return shown;
  };
  /** The same, asking the access check (one question per namespace per tick). */
  const shownAfterAsking = async (tick: Tick): Promise<Set<string>> => {
    const shown = new Set<string>();
    for (const namespace of tick.namespaces) {
      if (rights.mayDeliverNow(namespace) === false) continue;
      if (await rights.mayDeliver(namespace)) shown.add(namespace);
    }
    return shown;
  };

  // One queue per stream: ticks, replays and re-checks go in the order they came.
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  const enqueue = (size: number, task: () => Promise<void>) => {
    if (pending >= MAX_PENDING) {
      onNotice({ kind: 'ended', reason: 'the stream fell too far behind' });
      return;
    }
    pending += size;
    queue = queue.then(task).finally(() => {
      pending -= size;
    });
  };

  /** Ids replayed; a live change among them (on its way during the replay) is skipped. */
  const replayed = new Set<string>();
  const skipped = (tick: Tick) =>
    replayed.size > 0 &&
    tick.changes.some(({ eventId }) => eventId !== undefined && replayed.has(eventId))
      ? replayed
      : undefined;
  const deliverLive = (tick: Tick, shown: Set<string>) => {
    emit(tick.render(position, shown, skipped(tick)));
    judge();
  };
  const take = (tick: Tick) => {
    if (closed) return;
    const shown = pending === 0 ? shownNow(tick) : undefined;
    if (shown) deliverLive(tick, shown);
    else enqueue(tick.changes.length, async () => deliverLive(tick, await shownAfterAsking(tick)));
  };

  /** Resolves once the client took what waits; a client that takes nothing is dropped. */
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        raw.off('drain', done);
        raw.off('close', done);
        resolve();
      };
      const timer = setTimeout(() => {
        tooSlow();
        done();
      }, DROP_GRACE_MS);
      raw.once('drain', done);
      raw.once('close', done);
    });

  // A replay waits for the client to take half the bound before writing more, so it is
  // paced by the client, not dropped.
  const { missed } = setup;
  if (missed.kind === 'lost') write('reset', { reason: missed.reason });
  else
    for (let at = 0; at < missed.events.length; at += REPLAY_BATCH) {
      const events = missed.events.slice(at, at + REPLAY_BATCH);
      const tick = tickOf(
        events.map(({ change, eventId }) => {
          if (eventId !== undefined) replayed.add(eventId);
          return { namespace: change.namespace, frame: changeFrame(change, setup.local), eventId };
        }),
      );
      enqueue(events.length, async () => {
        emit(tick.render(position, await shownAfterAsking(tick)));
        if (writable() && raw.writableLength > bufferBytes / 2) await drained();
      });
    }
  const forget = setTimeout(() => replayed.clear(), REPLAYED_MEMORY_MS);
  for (const tick of setup.live) take(tick);

  const heartbeat = setInterval(() => writeFrame(': keep-alive\n\n'), HEARTBEAT_MS);
  const recheck = setInterval(() => enqueue(1, () => rights.recheck()), setup.recheckMs);

  /**
   * The client has more than the bound waiting: nothing more is queued for it but a
   * last `end` (read if it catches up), and the socket is cut if it does not.
   */
  function tooSlow() {
    if (closed) return;
    setup.onTooSlow?.();
    const socket = raw.socket;
    outbox = '';
    raw.write(`id: ${position}\n${sseFrame('end', { reason: 'too slow' })}`);
    close();
    // Not kept alive for another request: closed once its last bytes are taken, or cut.
    raw.once('finish', () => socket?.end());
    setTimeout(() => socket?.destroy(), DROP_GRACE_MS).unref();
  }
  function close() {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    clearInterval(recheck);
    clearTimeout(forget);
    // What was gathered still goes out (an `end` notice, for one); then the end.
    if (outbox !== '' && !raw.writableEnded) raw.write(outbox);
    clearTimeout(flushing);
    setup.onClose();
    if (!raw.writableEnded) raw.end();
  }
  return { take, close };
}
