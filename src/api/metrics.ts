/**
 * Prometheus metrics of the API server: requests by route and status, latency by route,
 * webhook outcomes, slow event streams dropped, and issues by state (counted by the
 * store at scrape time, at most every few seconds).
 */
import type { FastifyInstance } from 'fastify';
import { Histogram, Registry, collectDefaultMetrics, type Counter } from 'prom-client';
import { counter, scrapedGauge } from '../prometheus.js';
import type { Database } from '../store/database.js';
import { countIssuesByState } from '../store/issue-states.js';

export interface ApiMetrics {
  registry: Registry;
  webhookOutcomes: Counter<'webhook' | 'outcome'>;
  /** Live event streams dropped because their client did not read fast enough. */
  slowStreamsDropped: Counter;
}

export function createApiMetrics(db: Database): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kite_' });
  const webhookOutcomes = counter(
    registry,
    'kite_webhook_requests_total',
    'Webhook requests by webhook and outcome (created, reported, reopened, resolved, skipped, rejected, failed)',
    ['webhook', 'outcome'],
  );
  const slowStreamsDropped = counter(
    registry,
    'kite_event_streams_dropped_slow_total',
    'Live event streams dropped because their client had more than KITE_EVENT_STREAM_BUFFER waiting',
  );
  scrapedGauge(registry, {
    name: 'kite_issues',
    help: 'Issues in the store by state',
    read: async () =>
      (await countIssuesByState(db)).map(({ state, issues }) => ({ state, count: issues })),
  });
  return { registry, webhookOutcomes, slowStreamsDropped };
}

export function instrumentRequests(app: FastifyInstance, registry: Registry): void {
  const requests = counter(
    registry,
    'kite_http_requests_total',
    'HTTP requests by method, route and status code',
    ['method', 'route', 'status'],
  );
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
