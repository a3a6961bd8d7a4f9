/**
 * Prometheus metrics of the API server: requests by route and status, latency by route,
 * webhook outcomes, slow event streams dropped, and issues by state (counted by the
 * store at scrape time, at most every few seconds).
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../store/database.js';
import { countIssuesByState, type StateCount } from '../store/issue-states.js';

export interface ApiMetrics {
  registry: Registry;
  webhookOutcomes: Counter<'webhook' | 'outcome'>;
  /** Live event streams dropped because their client did not read fast enough. */
  slowStreamsDropped: Counter;
}

const ISSUE_STATE_REFRESH_MS = 5000;

export function createApiMetrics(db: Database): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kite_' });
  const webhookOutcomes = new Counter({
    name: 'kite_webhook_requests_total',
    help: 'Webhook requests by webhook and outcome (created, reported, reopened, resolved, skipped, rejected, failed)',
    labelNames: ['webhook', 'outcome'] as const,
    registers: [registry],
  });
  const slowStreamsDropped = new Counter({
    name: 'kite_event_streams_dropped_slow_total',
    help: 'Live event streams dropped because their client had more than KITE_EVENT_STREAM_BUFFER waiting',
    registers: [registry],
  });
  let lastRead = 0;
  let cached: StateCount[] = [];
  new Gauge({
    name: 'kite_issues',
    help: 'Issues in the store by state',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      if (Date.now() - lastRead > ISSUE_STATE_REFRESH_MS) {
        cached = await countIssuesByState(db);
        lastRead = Date.now();
      }
      this.reset();
      for (const { state, issues } of cached) this.set({ state }, issues);
    },
  });
  return { registry, webhookOutcomes, slowStreamsDropped };
}

export function instrumentRequests(app: FastifyInstance, registry: Registry): void {
  const requests = new Counter({
    name: 'kite_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'kite_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: ids and names would explode cardinality.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
}
