/**
 * `GET /api/v1/namespaces`: the namespaces the caller may read issues in; and
 * `GET /api/v1/namespaces/:namespace/access`: what the caller may do with issues in one
 * (Kubernetes' SelfSubjectAccessReview, for issues: the dashboard shows actions by it).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Guard } from '../guard.js';
import { ErrorSchema, NamespaceName } from '../schemas.js';

export const NamespacesSchema = Type.Object({
  /** Every namespace that has issues, when the caller may read issues cluster-wide. */
  all: Type.Boolean(),
  namespaces: Type.Array(Type.String()),
});

export const NamespaceAccessSchema = Type.Object({
  namespace: Type.String(),
  /** May read issues there (list, count, open, stream). */
  read: Type.Boolean(),
  /** May change issues there (update, resolve, delete, relate); never without `read`. */
  write: Type.Boolean(),
  /** May manage silences and acknowledgements there; never without `read`. */
  manage: Type.Boolean(),
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

  app.get(
    '/api/v1/namespaces/:namespace/access',
    {
      schema: {
        tags: ['issues'],
        summary:
          'What the caller may do with issues in a namespace (the checks the issue routes make)',
        params: Type.Object({ namespace: NamespaceName() }),
        response: {
          200: NamespaceAccessSchema,
          400: ErrorSchema,
          401: ErrorSchema,
          403: ErrorSchema,
          503: ErrorSchema,
        },
      },
    },
    async (request) => {
      const { namespace } = request.params;
      return { namespace, ...(await guard.rights(request, namespace)) };
    },
  );
};
