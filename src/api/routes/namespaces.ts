/** `GET /api/v1/namespaces`: the namespaces the caller may read issues in. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Guard } from '../guard.js';
import { ErrorSchema } from '../schemas.js';

export const NamespacesSchema = Type.Object({
  /** Every namespace that has issues, when the caller may read issues cluster-wide. */
  all: Type.Boolean(),
  namespaces: Type.Array(Type.String()),
});

export function namespaceRoutes(
  app: FastifyInstance,
  guard: Guard,
  withIssues: () => Promise<string[]>,
): void {
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
}
