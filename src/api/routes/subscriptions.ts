/**
 * Notification subscriptions of a namespace (docs/notifications.md, the contract the
 * operator's ConfigMap sync writes through): list and get for readers of the namespace,
 * put and delete for those who may `manage` it. A namespace the caller may not read
 * answers 404, as issues do.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { NotFoundError } from '../../domain/errors.js';
import {
  checkSpec,
  SOURCE_PATTERN,
  SUBSCRIPTION_NAME_PATTERN,
  SubscriptionSchema,
  SubscriptionSpecSchema,
} from '../../domain/subscription.js';
import type { SubscriptionStore } from '../../store/subscription-store.js';
import { namespaceReader, type Guard } from '../guard.js';
import { NO_CONTENT, ROUTE_ERRORS } from '../route-answers.js';
import { NamespaceName } from '../schemas.js';

export const SubscriptionListSchema = Type.Object({ items: Type.Array(SubscriptionSchema) });
export { SubscriptionSchema, SubscriptionSpecSchema };

export interface SubscriptionRouteOptions {
  subscriptions: SubscriptionStore;
  guard: Guard;
}

const NOT_FOUND = 'Subscription not found';
const tags = ['notifications'];
const NamespaceParams = Type.Object({ namespace: NamespaceName() });
const NameParams = Type.Object({
  namespace: NamespaceName(),
  name: Type.String({ pattern: SUBSCRIPTION_NAME_PATTERN, maxLength: 63 }),
});
const errors = ROUTE_ERRORS;

export const subscriptionRoutes: FastifyPluginAsyncTypebox<SubscriptionRouteOptions> = async (
  app,
  { subscriptions, guard },
) => {
  const { check: readable, one } = namespaceReader(guard, NOT_FOUND);

  app.get(
    '/api/v1/namespaces/:namespace/subscriptions',
    {
      schema: {
        tags,
        summary: "A namespace's notification subscriptions, by name",
        params: NamespaceParams,
        querystring: Type.Object({
          source: Type.Optional(Type.String({ pattern: SOURCE_PATTERN })),
        }),
        response: { 200: SubscriptionListSchema, ...errors },
      },
    },
    async (request) => {
      await readable(request, request.params.namespace);
      return { items: await subscriptions.list(request.params.namespace, request.query.source) };
    },
  );

  app.get(
    '/api/v1/namespaces/:namespace/subscriptions/:name',
    {
      schema: {
        tags,
        summary: 'One notification subscription',
        params: NameParams,
        response: { 200: SubscriptionSchema, ...errors },
      },
    },
    async (request) => {
      const { namespace, name } = request.params;
      return one(request, namespace, () => subscriptions.get(namespace, name));
    },
  );

  app.put(
    '/api/v1/namespaces/:namespace/subscriptions/:name',
    {
      schema: {
        tags,
        summary: 'Create or replace a notification subscription (needs the manage permission)',
        params: NameParams,
        body: SubscriptionSpecSchema,
        response: { 200: SubscriptionSchema, 201: SubscriptionSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { namespace, name } = request.params;
      await readable(request, namespace);
      await guard.requireNamespace(request, 'manage', namespace);
      const spec = checkSpec(request.body);
      const { subscription, created } = await subscriptions.put(namespace, name, spec);
      return reply.code(created ? 201 : 200).send(subscription);
    },
  );

  app.delete(
    '/api/v1/namespaces/:namespace/subscriptions/:name',
    {
      schema: {
        tags,
        summary: 'Delete a notification subscription (needs the manage permission)',
        params: NameParams,
        response: NO_CONTENT,
      },
    },
    async (request, reply) => {
      const { namespace, name } = request.params;
      await readable(request, namespace);
      await guard.requireNamespace(request, 'manage', namespace);
      if (!(await subscriptions.delete(namespace, name))) throw new NotFoundError(NOT_FOUND);
      return reply.code(204).send(null);
    },
  );
};
