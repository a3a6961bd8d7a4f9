/** `/metrics` (Prometheus text format) and `/api/v1/openapi.json`; both public. */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export function operationRoutes(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
