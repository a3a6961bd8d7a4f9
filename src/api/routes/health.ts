/**
 * Health and version as the v1 clients read them (`/health`, `/version`, both also under
 * `/api/v1`), plus Kubernetes probes: `/healthz` (the process is alive) and `/readyz`
 * (every dependency of the mode answers: the database, and the Kubernetes API when
 * permissions come from it).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../../store/database.js';
import { databaseReadiness, type ReadinessCheck } from '../readiness.js';

export interface VersionInfo {
  name: string;
  description: string;
  version: string;
}

const Component = Type.Object({
  status: Type.String(),
  message: Type.String(),
  details: Type.Unknown(),
});
const HealthSchema = Type.Object({
  status: Type.String(),
  message: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
  components: Type.Object({ api: Component, database: Component, response_time: Component }),
});
const VersionSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  version: Type.String(),
});
const ProbeSchema = Type.Object({
  status: Type.String(),
  message: Type.Optional(Type.String()),
  checks: Type.Optional(
    Type.Record(Type.String(), Type.String(), {
      description: 'each dependency: "ok", or why it is not ready',
    }),
  ),
});

export interface HealthRouteOptions {
  db: Database;
  version: VersionInfo;
  /** What `/readyz` checks besides the database. */
  dependencies: ReadinessCheck[];
}

export const healthRoutes: FastifyPluginAsyncTypebox<HealthRouteOptions> = async (
  app,
  { db, version, dependencies },
) => {
  const database = databaseReadiness(db);
  const seconds = (ms: number) => Math.round(ms * 1000) / 1e6;

  for (const path of ['/health', '/api/v1/health']) {
    app.get(
      path,
      {
        schema: {
          tags: ['operations'],
          summary: 'Health (v1 contract)',
          response: { 200: HealthSchema, 503: HealthSchema },
        },
      },
      async (_request, reply) => {
        const started = performance.now();
        const problem = await database.check();
        const pingMs = performance.now() - started;
        const elapsedMs = Math.round(pingMs * 100) / 100;
        const up = problem === undefined;
        const pool = db.connections();
        return reply.code(up ? 200 : 503).send({
          status: up ? 'UP' : 'DOWN',
          message: up ? 'All systems operational' : 'Database is not reachable',
          timestamp: new Date().toISOString(),
          components: {
            api: {
              status: 'UP',
              message: 'API is serving requests',
              details: { version: version.version },
            },
            database: {
              status: up ? 'UP' : 'DOWN',
              message: up ? 'Database connection is healthy' : (problem ?? ''),
              // The fields konflux-ui's HealthResponse type declares, with the real values.
              details: {
                kind: db.kind,
                connection_status: up ? 'connected' : 'disconnected',
                response_time_seconds: seconds(pingMs),
                open_connections: pool.open,
                idle_connections: pool.idle,
                max_open_connections: pool.max,
              },
            },
            response_time: {
              status: 'UP',
              message: `${elapsedMs}ms`,
              details: {
                databaseMs: elapsedMs,
                duration_seconds: seconds(performance.now() - started),
              },
            },
          },
        });
      },
    );
  }

  for (const path of ['/version', '/api/v1/version']) {
    app.get(
      path,
      { schema: { tags: ['operations'], summary: 'Version', response: { 200: VersionSchema } } },
      () => version,
    );
  }

  app.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'Liveness probe', response: { 200: ProbeSchema } } },
    () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary:
          'Readiness probe: every dependency of the mode answers (the database; the Kubernetes API in kubernetes auth mode)',
        response: { 200: ProbeSchema, 503: ProbeSchema },
      },
    },
    async (_request, reply) => {
      const all = [database, ...dependencies];
      const problems = await Promise.all(all.map((dependency) => dependency.check()));
      const checks = Object.fromEntries(all.map((d, i) => [d.name, problems[i] ?? 'ok']));
      const failed = problems.filter((problem) => problem !== undefined);
      if (failed.length === 0) return { status: 'ok', checks };
      return reply.code(503).send({ status: 'unavailable', message: failed.join('; '), checks });
    },
  );
};
