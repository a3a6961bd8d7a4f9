/**
 * `GET /api/v1/namespaces`: the namespaces the caller may read issues in;
 * `GET /api/v1/namespaces/:namespace/access`: what the caller may do with issues in one
 * (Kubernetes' SelfSubjectAccessReview, for issues: the dashboard shows actions by it);
 * `GET /api/v1/clusters`: the clusters the server answers for (docs/multi-cluster.md).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { placeOf } from '../../domain/place.js';
import type { Guard } from '../guard.js';
import { ErrorSchema, IssueFilterQuery, NamespaceName } from '../schemas.js';

export const NamespacesSchema = Type.Object({
  /** Every namespace that has issues, when the caller may read issues cluster-wide. */
  all: Type.Boolean(),
  /** Each name once, whichever clusters have it. */
  namespaces: Type.Array(Type.String()),
  /** The same with their clusters: one entry per cluster and namespace. */
  places: Type.Array(Type.Object({ cluster: Type.String(), namespace: Type.String() })),
});

export const ClustersSchema = Type.Object({
  /** The server's own cluster. */
  local: Type.String(),
  /** Every cluster the server answers for, its own first. */
  clusters: Type.Array(Type.String()),
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
        querystring: Type.Object({ cluster: IssueFilterQuery.cluster }),
        response: { 200: NamespacesSchema, 400: ErrorSchema, 401: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request) => {
      const readable = await guard.readScope(request, undefined, request.query.cluster);
      const keys = readable ?? (await withIssues());
      const places = keys.map((key) => placeOf(key, guard.clusters.local));
      places.sort((a, b) =>
        a.namespace === b.namespace
          ? a.cluster.localeCompare(b.cluster)
          : a.namespace.localeCompare(b.namespace),
      );
      const namespaces = [...new Set(places.map((place) => place.namespace))];
      return { all: readable === undefined, namespaces, places };
    },
  );

  app.get(
    '/api/v1/clusters',
    {
      schema: {
        tags: ['issues'],
        summary: 'The clusters this server answers for (one, unless it has member clusters)',
        response: { 200: ClustersSchema, 401: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request) => {
      await guard.caller(request);
      const { local, members } = guard.clusters;
      return { local, clusters: [local, ...members] };
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
        querystring: Type.Object({
          cluster: Type.Optional(
            Type.String({ description: "the namespace's cluster; default: the caller's own" }),
          ),
        }),
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
      const place = await guard.place(request, namespace, request.query.cluster);
      return { namespace, ...(await guard.rights(request, place)) };
    },
  );
};
