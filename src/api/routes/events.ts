/**
 * `GET /api/v1/events`: a Server-Sent Events stream of issue changes (created, updated,
 * resolved, deleted), limited to the namespaces the caller may read. Fed by the
 * database change feed through one fan-out point (event-hub.ts: each change serialized
 * once, streams found by namespace, changes gathered into ticks), so it reports changes
 * made through any replica. An open stream (event-stream.ts) re-checks its rights
 * (stream-rights.ts), each caller may hold a limited number of streams open at once,
 * and a client that does not read is not buffered for without bound: past
 * `bufferBytes` waiting in the server it is dropped.
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
import { eventHub, type Tick } from '../event-hub.js';
import { openEventStream } from '../event-stream.js';
import type { Guard } from '../guard.js';
import { ErrorSchema, IssueFilterQuery } from '../schemas.js';
import { streamRights } from '../stream-rights.js';

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
  const hub = eventHub(feed, guard.clusters.local);
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
          cluster: IssueFilterQuery.cluster,
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
      const namespaces = await guard.readScope(
        request,
        request.query.namespace,
        request.query.cluster,
      );
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
      const live: Tick[] = [];
      let onTick = (tick: Tick) => {
        live.push(tick);
      };
      const unsubscribe = hub.subscribe({
        scope: scope === 'all' ? 'all' : new Set(scope),
        take: (tick) => onTick(tick),
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
      const position = after === undefined || missed.kind === 'lost' ? missed.head : `${after}`;
      raw.write(`retry: 3000\n: connected\nid: ${position}\n\n`);

      let gone = false;
      const closeStream = () => stream.close();
      const stream = openEventStream({
        raw,
        position,
        missed,
        live,
        rights: (notify) => streamRights({ access, request, caller, scope, notify }),
        recheckMs: streams.recheckMs,
        bufferBytes: streams.bufferBytes,
        local: guard.clusters.local,
        ...(streams.onTooSlow ? { onTooSlow: streams.onTooSlow } : {}),
        onClose: () => {
          gone = true;
          unsubscribe();
          open.delete(closeStream);
          release();
        },
      });
      onTick = (tick) => stream.take(tick);
      if (gone) return;
      open.add(closeStream);
      request.raw.on('close', closeStream);
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

/** Streams are counted per identity (the impersonated user behind a proxy, if any). */
function callerKey(caller: Caller): string {
  return JSON.stringify([caller.name, caller.uid ?? '']);
}
