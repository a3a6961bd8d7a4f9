/** `/metrics` (Prometheus text format) and `/api/v1/openapi.json`; both public. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';

export interface OperationRouteOptions {
  registry: Registry;
}

export const operationRoutes: FastifyPluginAsyncTypebox<OperationRouteOptions> = async (
  app,
  { registry },
) => {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
  // `swagger()` is decorated on the root instance (by a fastify-plugin), and this
  // plugin's instance inherits it: the document covers every route, not just these.
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
};
