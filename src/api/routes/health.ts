/**
 * Health and version as the v1 clients read them (`/health`, `/version`, both also under
 * `/api/v1`), plus Kubernetes probes: `/healthz` (the process is alive) and `/readyz`
 * (the database answers).
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Database } from '../../store/database.js';

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
const ProbeSchema = Type.Object({ status: Type.String(), message: Type.Optional(Type.String()) });

const DB_TIMEOUT_MS = 2000;

export function healthRoutes(app: FastifyInstance, db: Database, version: VersionInfo): void {
  const pingDatabase = async (): Promise<string | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        db.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), DB_TIMEOUT_MS);
        }),
      ]);
      return undefined;
    } catch (error) {
      return error instanceof Error && error.message === 'timed out'
        ? 'database did not answer in time'
        : 'database unreachable';
    } finally {
      clearTimeout(timer);
    }
  };

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
        const problem = await pingDatabase();
        const elapsedMs = Math.round((performance.now() - started) * 100) / 100;
        const up = problem === undefined;
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
              details: { kind: db.kind },
            },
            response_time: {
              status: 'UP',
              message: `${elapsedMs}ms`,
              details: { databaseMs: elapsedMs },
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
        summary: 'Readiness probe: the database answers',
        response: { 200: ProbeSchema, 503: ProbeSchema },
      },
    },
    async (_request, reply) => {
      const problem = await pingDatabase();
      return problem === undefined
        ? { status: 'ok' }
        : reply.code(503).send({ status: 'unavailable', message: problem });
    },
  );
}
