/**
 * `GET /api/v1/events`: a Server-Sent Events stream of issue changes (created, updated,
 * resolved, deleted), limited to the namespaces the caller may read. Fed by the
 * database change feed through one fan-out point (event-hub.ts: each change serialized
 * once, streams found by namespace), so it reports changes made through any replica. The
 * stream's rights are re-checked while it is open (stream-rights.ts), each caller may
 * hold a limited number of streams open at once, and a client that does not read is
 * not buffered for without bound: past `bufferBytes` waiting in the server it is dropped.
 *
 * Every event carries an `id:`, the stream's position: the highest event id it has
 * delivered. A client that reconnects with `Last-Event-ID` first gets the changes it
 * missed from the events table, in id order, then live ones; a live change it was
 * already replayed is skipped (docs/decisions/0026-event-fan-out.md).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AccessControl, Caller } from '../../auth/access.js';
import { InputError, TooManyRequestsError } from '../../domain/errors.js';
import type { ChangeFeed, Missed } from '../../store/change-feed.js';
import { eventHub, sseFrame } from '../event-hub.js';
import type { Guard } from '../guard.js';
import { ErrorSchema } from '../schemas.js';
import { streamRights, type RightsNotice } from '../stream-rights.js';

const HEARTBEAT_MS = 15_000;
/** How long a stream gathers frames before writing them: the latency added to an event. */
const FLUSH_MS = 50;
/** Changes waiting for a permission answer; a stream this far behind is ended. */
const MAX_PENDING = 10_000;
/** A dropped slow client gets this long to take its last bytes before its socket is cut. */
const DROP_GRACE_MS = 5_000;
/**
 * How long a resumed stream remembers the ids it replayed. A change committed before
 * the replay read the table may still be on its way as a notification; seconds would
 * do, this is generous.
 */
const REPLAYED_MEMORY_MS = 30_000;
/** Event ids are `bigint` in the database: decimal, without leading zeros. */
const EVENT_ID = /^(0|[1-9][0-9]{0,18})$/;
const MAX_EVENT_ID = 2n ** 63n - 1n;

export interface EventStreamOptions {
  /** How many streams one caller may hold open at once. */
  perCaller: number;
  /** How often an open stream re-checks its rights: the auth cache TTL. */
  recheckMs: number;
  /**
   * Bytes that may wait in the server for one stream (written while its client does not
   * read); past this the client is too slow and is dropped.
   */
  bufferBytes: number;
  /** Told of each stream dropped for being too slow (a metric). */
  onTooSlow?: () => void;
}

export interface EventRouteOptions {
  feed: ChangeFeed;
  guard: Guard;
  access: AccessControl;
  streams: EventStreamOptions;
}

export const eventRoutes: FastifyPluginAsyncTypebox<EventRouteOptions> = async (app, options) => {
  const { feed, guard, access, streams } = options;
  const hub = eventHub(feed);
  const open = new Set<() => void>();
  const perCaller = new Map<string, number>();
  app.addHook('preClose', (done) => {
    for (const close of open) close();
    done();
  });

  app.get(
    '/api/v1/events',
    {
      schema: {
        tags: ['events'],
        summary:
          'Live stream (text/event-stream) of issue changes: created, updated, resolved, deleted',
        description:
          'Each event has an `id:`; reconnecting with `Last-Event-ID` replays the changes missed ' +
          'first, or sends `event: reset` when they cannot be replayed (see docs/api.md).',
        querystring: Type.Object({
          namespace: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 500 }),
          ),
        }),
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String()) }),
        response: {
          400: ErrorSchema,
          401: ErrorSchema,
          403: ErrorSchema,
          429: ErrorSchema,
          503: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const after = parseLastEventId(request.headers['last-event-id']);
      const namespaces = await guard.readScope(request, request.query.namespace);
      const caller = await guard.caller(request);
      const key = callerKey(caller);
      const held = perCaller.get(key) ?? 0;
      if (held >= streams.perCaller) {
        throw new TooManyRequestsError(
          `Too many open event streams: at most ${streams.perCaller} per caller; close one first`,
        );
      }
      perCaller.set(key, held + 1);
      const release = () => {
        const left = (perCaller.get(key) ?? 1) - 1;
        if (left > 0) perCaller.set(key, left);
        else perCaller.delete(key);
      };
      const scope = namespaces ? new Set(namespaces) : 'all';

      // Listen before reading what was missed: a change committed in between is then
      // both read and heard, never neither; the stream skips the second copy.
      let live: Array<[string, string, string | undefined]> | undefined = [];
      let onLive = (namespace: string, frame: string, eventId: string | undefined) => {
        live?.push([namespace, frame, eventId]);
      };
      const unsubscribe = hub.subscribe({
        scope: scope === 'all' ? 'all' : new Set(scope),
        deliver: (namespace, frame, eventId) => onLive(namespace, frame, eventId),
      });
      let missed: Missed;
      try {
        missed = await feed.since(after, namespaces);
      } catch (error) {
        unsubscribe();
        release();
        throw error;
      }

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      // A field-only `id:` sets the client's position without dispatching an event.
      let position = after === undefined || missed.kind === 'lost' ? missed.head : `${after}`;
      raw.write(`retry: 3000\n: connected\nid: ${position}\n\n`);

      let closed = false;
      let checking = false;
      let outbox = '';
      let flushing: NodeJS.Timeout | undefined;
      /**
       * Queues a frame for the next flush. Changes come one notification at a time, and a
       * write per change per stream is a system call per change per stream: gathered for
       * `FLUSH_MS`, a busy stream's changes go out as one write.
       */
      const writeFrame = (frame: string) => {
        if (closed || raw.writableEnded) return;
        outbox += frame;
        flushing ??= setTimeout(flush, FLUSH_MS);
      };
      /**
       * Writes what was gathered. The bytes waiting are judged once the write has been
       * handed to the socket (Node corks writes within a turn): whatever the kernel did
       * not take then is the client's, and past the bound the client is too slow.
       */
      function flush() {
        clearTimeout(flushing);
        flushing = undefined;
        if (outbox === '' || closed || raw.writableEnded) return;
        raw.write(outbox);
        outbox = '';
        if (checking || raw.writableLength <= streams.bufferBytes) return;
        checking = true;
        setImmediate(() => {
          checking = false;
          if (raw.writableLength > streams.bufferBytes) tooSlow();
        });
      }
      const write = (event: string, data: unknown) => writeFrame(withId(sseFrame(event, data)));
      /** The position goes in front of each frame: the highest id delivered so far. */
      const withId = (frame: string) => `id: ${position}\n${frame}`;
      const onNotice = (notice: RightsNotice) => {
        if (notice.kind === 'dropped') {
          write('dropped', { namespaces: notice.dropped, remaining: notice.remaining });
        } else {
          write('end', { reason: notice.reason });
          close();
        }
      };
      const rights = streamRights({ access, request, caller, scope, notify: onNotice });

      // One queue per stream: changes go out in the order they came, each after its check.
      let queue: Promise<void> = Promise.resolve();
      let pending = 0;
      const enqueue = (task: () => Promise<void>) => {
        if (pending >= MAX_PENDING) {
          onNotice({ kind: 'ended', reason: 'the stream fell too far behind' });
          return;
        }
        pending += 1;
        queue = queue.then(task).finally(() => {
          pending -= 1;
        });
      };
      let replaying = missed.kind === 'missed' && missed.events.length > 0;
      const replayed = new Set<string>();
      /**
       * Queues a change. Changes that arrive while the queue is busy go out as one task,
       * each namespace's rights asked once for them (a promise chain per change per
       * stream was most of what 200 streams cost). A replay waits for the client to take
       * half the bound before writing more, so it is paced by the client, not dropped.
       */
      let batch: Array<[string, string, string | undefined]> = [];
      const send = (namespace: string, frame: string, eventId: string | undefined) => {
        if (batch.length >= MAX_PENDING) {
          onNotice({ kind: 'ended', reason: 'the stream fell too far behind' });
          return;
        }
        batch.push([namespace, frame, eventId]);
        if (batch.length === 1) enqueue(deliverBatch);
      };
      const deliverBatch = async () => {
        const changes = batch;
        batch = [];
        const allowed = new Map<string, boolean>();
        for (const [namespace, frame, eventId] of changes) {
          let may = allowed.get(namespace);
          if (may === undefined) {
            may = await rights.mayDeliver(namespace);
            allowed.set(namespace, may);
          }
          if (!may || closed) continue;
          if (eventId !== undefined && later(eventId, position)) position = eventId;
          writeFrame(withId(frame));
          if (!replaying) continue;
          flush();
          if (raw.writableLength > streams.bufferBytes / 2) await drained();
        }
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

      if (missed.kind === 'lost') write('reset', { reason: missed.reason });
      else
        for (const { change, eventId } of missed.events) {
          if (eventId !== undefined) replayed.add(eventId);
          send(change.namespace, sseFrame(change.type, change), eventId);
        }
      enqueue(() => {
        replaying = false;
        return Promise.resolve();
      });
      const forget = setTimeout(() => replayed.clear(), REPLAYED_MEMORY_MS);
      onLive = (namespace, frame, eventId) => {
        if (eventId === undefined || !replayed.has(eventId)) send(namespace, frame, eventId);
      };
      for (const [namespace, frame, eventId] of live) onLive(namespace, frame, eventId);
      live = undefined;

      const heartbeat = setInterval(() => writeFrame(': keep-alive\n\n'), HEARTBEAT_MS);
      const recheck = setInterval(() => enqueue(() => rights.recheck()), streams.recheckMs);

      /**
       * The client has more than the bound waiting: nothing more is queued for it but a
       * last `end` (read if it catches up), and the socket is cut if it does not.
       */
      function tooSlow() {
        if (closed) return;
        streams.onTooSlow?.();
        const socket = raw.socket;
        outbox = '';
        raw.write(withId(sseFrame('end', { reason: 'too slow' })));
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
        unsubscribe();
        // What was gathered still goes out (an `end` notice, for one); then the end.
        if (outbox !== '' && !raw.writableEnded) raw.write(outbox);
        clearTimeout(flushing);
        open.delete(close);
        release();
        if (!raw.writableEnded) raw.end();
      }
      open.add(close);
      request.raw.on('close', close);
    },
  );
};

/** The `Last-Event-ID` a reconnecting client sent, if any; 400 when it is not an id. */
function parseLastEventId(header: string | undefined): bigint | undefined {
  const id = header?.trim() ?? '';
  // An empty id is how SSE says "no position" (a client may send it after a reset).
  if (id === '') return undefined;
  if (!EVENT_ID.test(id) || BigInt(id) > MAX_EVENT_ID) {
    throw new InputError(
      'Last-Event-ID must be an event id this server sent: a decimal integer, ' +
        'or leave it out to start from now',
    );
  }
  return BigInt(id);
}

/** Whether decimal id `a` is after `b` (both without leading zeros). */
function later(a: string, b: string): boolean {
  return a.length === b.length ? a > b : a.length > b.length;
}

/** Streams are counted per identity (the impersonated user behind a proxy, if any). */
function callerKey(caller: Caller): string {
  return JSON.stringify([caller.name, caller.uid ?? '']);
}
