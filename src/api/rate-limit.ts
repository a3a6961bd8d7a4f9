/**
 * Per-caller rate limiting of the expensive routes: issue lists and counts, namespace
 * lists, MintMaker run lists and log reads. Each of those can cost a database scan, a
 * Kubernetes API list or megabytes of log; everything else (by-id reads, writes, health)
 * is cheap or already bounded.
 *
 * Callers are counted by who they are (the authenticated user, after TokenReview), so
 * that users behind one proxy address do not share a budget and one user cannot escape
 * it by changing address; a request that cannot be authenticated is counted by address
 * (and answered 401/503 by the route anyway). Over the limit: 429 with Retry-After.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Guard } from './guard.js';

export interface RateLimitSettings {
  /** Requests per caller per window; 0 turns limiting off. */
  max: number;
  windowMs: number;
}

const EXPENSIVE = new Set([
  'GET /api/v1/issues',
  'GET /api/v1/issues/counts',
  'GET /api/v1/issues/:id/events',
  'GET /api/v1/groups',
  'GET /api/v1/namespaces',
  'GET /api/v1/mintmaker/runs',
  'GET /api/v1/mintmaker/runs/:run/logs',
]);

export function isExpensive(request: FastifyRequest): boolean {
  return EXPENSIVE.has(`${request.method} ${request.routeOptions.url ?? ''}`);
}

export async function installRateLimit(
  app: FastifyInstance,
  guard: Guard,
  settings: RateLimitSettings,
): Promise<void> {
  if (settings.max === 0) return;
  await app.register(rateLimit, {
    global: true,
    // After validation and with the route known; authentication happens in the key.
    hook: 'preHandler',
    max: settings.max,
    timeWindow: settings.windowMs,
    allowList: (request) => !isExpensive(request),
    keyGenerator: async (request) => {
      try {
        return `user:${(await guard.caller(request)).name}`;
      } catch {
        return `address:${request.ip}`;
      }
    },
    errorResponseBuilder: (_request, context) =>
      Object.assign(
        new Error(
          `Too many requests: at most ${context.max} per ${context.after} on this route; retry after ${Math.ceil(context.ttl / 1000)} s`,
        ),
        { statusCode: 429 },
      ),
  });
}
