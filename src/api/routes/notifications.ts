/**
 * `GET /api/v1/namespaces/:namespace/notifications`: the namespace's notification
 * deliveries, newest first, filtered by state (`?state=dead`: what will not be retried).
 * Readers of the namespace see them; a delivery shows its receiver's type, never its
 * URL or secret references, and its error in words that name no secret.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { StringEnum } from '../../domain/string-enum.js';
import { RECEIVER_TYPES } from '../../domain/subscription.js';
import type { NotificationQueue } from '../../store/notification-queue.js';
import type { Guard } from '../guard.js';
import { ErrorSchema, NamespaceName } from '../schemas.js';

const DELIVERY_STATES = ['pending', 'sent', 'dead'] as const;
const Timestamp = Type.String({ format: 'date-time' });

export const DeliverySchema = Type.Object({
  id: Type.String({ description: 'also the idempotency key the receiver was sent' }),
  subscription: Type.String(),
  group: Type.String(),
  receiverType: StringEnum(RECEIVER_TYPES),
  state: StringEnum(DELIVERY_STATES),
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  sentAt: Type.Union([Timestamp, Type.Null()]),
  nextAttemptAt: Type.Union([Timestamp, Type.Null()]),
  issues: Type.Array(Type.Object({ issueId: Type.String(), transition: Type.String() })),
});

export const DeliveryListSchema = Type.Object({ items: Type.Array(DeliverySchema) });

export interface NotificationRouteOptions {
  queue: NotificationQueue;
  guard: Guard;
}

export const notificationRoutes: FastifyPluginAsyncTypebox<NotificationRouteOptions> = async (
  app,
  { queue, guard },
) => {
  app.get(
    '/api/v1/namespaces/:namespace/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: "A namespace's notification deliveries, newest first (`state=dead`: given up)",
        params: Type.Object({ namespace: NamespaceName() }),
        querystring: Type.Object({
          state: Type.Optional(StringEnum(DELIVERY_STATES)),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        }),
        response: {
          200: DeliveryListSchema,
          400: ErrorSchema,
          401: ErrorSchema,
          404: ErrorSchema,
          503: ErrorSchema,
        },
      },
    },
    async (request) => {
      const { namespace } = request.params;
      await guard.requireReadable(request, namespace, { notFound: 'Namespace not found' });
      return { items: await queue.list(namespace, request.query.state, request.query.limit) };
    },
  );
};
