/**
 * The operator's Prometheus metrics (`/metrics`, listed in docs/operator.md), on a
 * registry of its own so that several operators in one process (the tests) do not mix.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export type ReportResult = 'sent' | 'failed' | 'retried' | 'skipped' | 'overflow';
export type ArchiveResult = 'archived' | 'failed' | 'retried';
export type SubscriptionSyncResult = 'put' | 'deleted' | 'skipped' | 'rejected' | 'failed';

export function createOperatorMetrics(queueDepth: () => number) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kite_operator_' });
  const registers = [registry];
  /** A counter by result, every result shown from the start (so a rate over it is defined). */
  const byResult = <R extends string>(name: string, help: string, results: readonly R[]) => {
    const counter = new Counter({ name, help, labelNames: ['result'] as const, registers });
    for (const result of results) counter.inc({ result }, 0);
    return counter;
  };
  const metrics = {
    registry,
    eventsSeen: new Counter({
      name: 'kite_operator_events_total',
      help: 'Watch events seen, by controller and event (add, update, delete)',
      labelNames: ['controller', 'event'] as const,
      registers,
    }),
    observations: new Counter({
      name: 'kite_operator_observations_total',
      help: 'Completed runs observed, by controller and outcome (failure, success, error)',
      labelNames: ['controller', 'outcome'] as const,
      registers,
    }),
    reports: byResult(
      'kite_operator_reports_total',
      'Deliveries to the API server by result: sent, failed (rejected, not retried), retried, skipped (superseded by a newer run), overflow (queue full, picked up by the next resync)',
      ['sent', 'failed', 'retried', 'skipped', 'overflow'],
    ),
    restarts: new Counter({
      name: 'kite_operator_informer_restarts_total',
      help: 'Informers restarted after a list or watch error, by resource',
      labelNames: ['resource'] as const,
      registers,
    }),
    cancelled: new Counter({
      name: 'kite_operator_cancelled_runs_total',
      help: 'Cancelled or stopped runs seen (neither failures nor successes: not reported), by controller and reason',
      labelNames: ['controller', 'reason'] as const,
      registers,
    }),
    leader: new Gauge({
      name: 'kite_operator_leader',
      help: '1 while this replica holds the Lease and reports',
      registers,
    }),
    archives: new Counter({
      name: 'kite_operator_log_archives_total',
      help: 'MintMaker runs whose logs were archived, by result (archived, retried, failed)',
      labelNames: ['result'] as const,
      registers,
    }),
    subscriptionSyncs: byResult(
      'kite_operator_configmap_subscriptions_total',
      'ConfigMap subscriptions synced, by result: put, deleted, skipped (an entry or document unusable, or a name another source owns), rejected (400 from the server), failed (a namespace sync failed: retried)',
      ['put', 'deleted', 'skipped', 'rejected', 'failed'],
    ),
    bundleLoads: byResult(
      'kite_operator_task_bundles_loads_total',
      'Reads of the acceptable task bundles data, by result: loaded (changed), unchanged, failed (unreadable: the last good data is kept)',
      ['loaded', 'unchanged', 'failed'],
    ),
  };
  new Gauge({
    name: 'kite_operator_queue_depth',
    help: 'Runs waiting to be delivered',
    registers,
    collect() {
      this.set(queueDepth());
    },
  });
  return metrics;
}

export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;
