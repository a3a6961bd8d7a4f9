/**
 * Creates the task-updates controller when the config gives it a bundles source (and
 * `controllers.task-updates.enabled` is not false), and starts reading the data.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { TASK_RUNS, type ObserveContext } from '../controller.js';
import type { OperatorMetrics } from '../metrics.js';
import type { OperatorConfig } from '../operator-config.js';
import type { Delivery } from '../reporter.js';
import { BundleSource } from './bundle-source.js';
import { TASK_UPDATES, TaskUpdates, taskUpdatesWatch } from './task-updates.js';

export { TASK_UPDATES } from './task-updates.js';

export function startTaskUpdates(
  config: OperatorConfig,
  kc: KubeConfig,
  options: {
    log: Logger;
    metrics: OperatorMetrics;
    now(): Date;
    enqueue(delivery: Delivery): void;
    details: ObserveContext['details'];
  },
) {
  const own = config.taskUpdates;
  if (!own || config.controllers[TASK_UPDATES]?.enabled === false) return undefined;
  const source = new BundleSource(own.location, kc, {
    log: options.log,
    count: (result) => options.metrics.bundleLoads.inc({ result }),
  });
  const updates = new TaskUpdates({
    source,
    settings: own,
    refreshMs: own.refreshMs,
    taskRuns: (namespace) => options.details(TASK_RUNS, namespace),
    enqueue: (delivery) => options.enqueue(delivery),
    now: () => options.now(),
  });
  void updates.start();
  return Object.assign(updates, { watches: taskUpdatesWatch });
}
