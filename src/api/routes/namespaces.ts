/** `GET /api/v1/namespaces`: the namespaces the caller may read issues in. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Guard } from '../guard.js';
import { ErrorSchema } from '../schemas.js';

export const NamespacesSchema = Type.Object({
  /** Every namespace that has issues, when the caller may read issues cluster-wide. */
  all: Type.Boolean(),
  namespaces: Type.Array(Type.String()),
});

export interface NamespaceRouteOptions {
  guard: Guard;
  /** Every namespace that has issues (for callers who may read all of them). */
  withIssues: () => Promise<string[]>;
}

export const namespaceRoutes: FastifyPluginAsyncTypebox<NamespaceRouteOptions> = async (
  app,
  { guard, withIssues },
) => {
  app.get(
    '/api/v1/namespaces',
    {
      schema: {
        tags: ['issues'],
        summary: 'Namespaces the caller may read issues in ("all my namespaces" views)',
        response: { 200: NamespacesSchema, 401: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request) => {
      const readable = await guard.readScope(request, undefined);
      if (readable === undefined) return { all: true, namespaces: await withIssues() };
      return { all: false, namespaces: [...readable].sort() };
    },
  );
};
