/**
 * `GET /api/v1/events`: a Server-Sent Events stream of issue changes (created, updated,
 * resolved, deleted), limited to the namespaces the caller may read. Fed by the
 * database change feed, so it reports changes made through any replica.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { IssueChange } from '../../domain/issue.js';
import type { ChangeFeed } from '../../store/change-feed.js';
import type { Guard } from '../guard.js';
import { ErrorSchema } from '../schemas.js';

const HEARTBEAT_MS = 15_000;

export function eventRoutes(app: FastifyInstance, feed: ChangeFeed, guard: Guard): void {
  const open = new Set<() => void>();
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
        response: { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request, reply) => {
      const { namespace } = request.query as { namespace?: string[] };
      const namespaces = await guard.readScope(request, namespace);
      const wanted = namespaces ? new Set(namespaces) : undefined;

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

      const send = (change: IssueChange) => {
        if (wanted && !wanted.has(change.namespace)) return;
        raw.write(`event: ${change.type}\ndata: ${JSON.stringify(change)}\n\n`);
      };
      const unsubscribe = feed.subscribe(send);
      const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const close = () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(close);
        if (!raw.writableEnded) raw.end();
      };
      open.add(close);
      request.raw.on('close', close);
    },
  );
}
