/**
 * `GET /api/v1/events`: a Server-Sent Events stream of issue changes (created, updated,
 * resolved, deleted), limited to the namespaces the caller may read. Fed by the
 * database change feed, so it reports changes made through any replica. The stream's
 * rights are re-checked while it is open (stream-rights.ts), and each caller may hold a
 * limited number of streams open at once.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AccessControl, Caller } from '../../auth/access.js';
import type { IssueChange } from '../../domain/issue.js';
import { TooManyRequestsError } from '../../domain/errors.js';
import type { ChangeFeed } from '../../store/change-feed.js';
import type { Guard } from '../guard.js';
import { ErrorSchema } from '../schemas.js';
import { streamRights, type RightsNotice } from '../stream-rights.js';

const HEARTBEAT_MS = 15_000;
/** Changes waiting for a permission answer; a stream this far behind is ended. */
const MAX_PENDING = 10_000;

export interface EventStreamOptions {
  /** How many streams one caller may hold open at once. */
  perCaller: number;
  /** How often an open stream re-checks its rights: the auth cache TTL. */
  recheckMs: number;
}

export function eventRoutes(
  app: FastifyInstance,
  deps: { feed: ChangeFeed; guard: Guard; access: AccessControl; streams: EventStreamOptions },
): void {
  const { feed, guard, access, streams } = deps;
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

      const write = (event: string, data: unknown) => {
        if (!raw.writableEnded) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const onNotice = (notice: RightsNotice) => {
        if (notice.kind === 'dropped') {
          write('dropped', { namespaces: notice.dropped, remaining: notice.remaining });
        } else {
          write('end', { reason: notice.reason });
          close();
        }
      };
      const rights = streamRights({
        access,
        request,
        caller,
        scope: namespaces ? new Set(namespaces) : 'all',
        notify: onNotice,
      });

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
      const send = (change: IssueChange) =>
        enqueue(async () => {
          if (await rights.mayDeliver(change.namespace)) write(change.type, change);
        });

      const unsubscribe = feed.subscribe(send);
      const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const recheck = setInterval(() => enqueue(() => rights.recheck()), streams.recheckMs);
      let closed = false;
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
