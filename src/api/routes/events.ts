/**
 * `GET /api/v1/events`: a Server-Sent Events stream of issue changes (created, updated,
 * resolved, deleted), limited to the namespaces the caller may read. Fed by the
 * database change feed through one fan-out point (event-hub.ts: each change serialized
 * once, streams found by namespace), so it reports changes made through any replica. The
 * stream's rights are re-checked while it is open (stream-rights.ts), each caller may
 * hold a limited number of streams open at once, and a client that does not read is
 * not buffered for without bound: past `bufferBytes` waiting in the server it is dropped.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AccessControl, Caller } from '../../auth/access.js';
import { TooManyRequestsError } from '../../domain/errors.js';
import type { ChangeFeed } from '../../store/change-feed.js';
import { eventHub, sseFrame } from '../event-hub.js';
import type { Guard } from '../guard.js';
import { ErrorSchema } from '../schemas.js';
import { streamRights, type RightsNotice } from '../stream-rights.js';

const HEARTBEAT_MS = 15_000;
/** Changes waiting for a permission answer; a stream this far behind is ended. */
const MAX_PENDING = 10_000;
/** A dropped slow client gets this long to take its last bytes before its socket is cut. */
const DROP_GRACE_MS = 5_000;

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

export function eventRoutes(
  app: FastifyInstance,
  deps: { feed: ChangeFeed; guard: Guard; access: AccessControl; streams: EventStreamOptions },
): void {
  const { feed, guard, access, streams } = deps;
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
        querystring: Type.Object({
          namespace: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 253 }), { maxItems: 500 }),
          ),
        }),
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
      const { namespace } = request.query as { namespace?: string[] };
      const namespaces = await guard.readScope(request, namespace);
      const caller = await guard.caller(request);
      const key = callerKey(caller);
      const held = perCaller.get(key) ?? 0;
      if (held >= streams.perCaller) {
        throw new TooManyRequestsError(
          `Too many open event streams: at most ${streams.perCaller} per caller; close one first`,
        );
      }
      perCaller.set(key, held + 1);

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      raw.write('retry: 3000\n: connected\n\n');

      let closed = false;
      let checking = false;
      /**
       * Writes a frame. Frames written in one turn of the event loop are corked together
       * (a burst of changes comes as one), so the bytes waiting are judged once the burst
       * has been handed to the socket: whatever the kernel did not take then is the
       * client's, and past the bound the client is too slow.
       */
      const writeFrame = (frame: string) => {
        if (closed || raw.writableEnded) return;
        raw.write(frame);
        if (checking || raw.writableLength <= streams.bufferBytes) return;
        checking = true;
        setImmediate(() => {
          checking = false;
          if (raw.writableLength > streams.bufferBytes) tooSlow();
        });
      };
      const write = (event: string, data: unknown) => writeFrame(sseFrame(event, data));
      const onNotice = (notice: RightsNotice) => {
        if (notice.kind === 'dropped') {
          write('dropped', { namespaces: notice.dropped, remaining: notice.remaining });
        } else {
          write('end', { reason: notice.reason });
          close();
        }
      };
      const scope = namespaces ? new Set(namespaces) : 'all';
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

      const unsubscribe = hub.subscribe({
        scope: scope === 'all' ? 'all' : new Set(scope),
        deliver: (namespace, frame) =>
          enqueue(async () => {
            if (await rights.mayDeliver(namespace)) writeFrame(frame);
          }),
      });
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
        raw.write(sseFrame('end', { reason: 'too slow' }));
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
        unsubscribe();
        open.delete(close);
        const left = (perCaller.get(key) ?? 1) - 1;
        if (left > 0) perCaller.set(key, left);
        else perCaller.delete(key);
        if (!raw.writableEnded) raw.end();
      }
      open.add(close);
      request.raw.on('close', close);
    },
  );
}

/** Streams are counted per identity (the impersonated user behind a proxy, if any). */
function callerKey(caller: Caller): string {
  return JSON.stringify([caller.name, caller.uid ?? '']);
}
