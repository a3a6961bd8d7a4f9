/**
 * `kite operator`: the bridge between the cluster and the API server. Informers (list +
 * watch, re-listing on 410 Gone, restarted after errors) feed the controllers; each
 * completed run becomes an observation, queued for delivery to the server's
 * `run-failure` / `run-success` webhooks. Delivery is level-triggered: a periodic resync
 * (and every gain of leadership) looks at every cached run again, and what was already
 * delivered at the same resourceVersion is not sent twice. Only the Lease holder reports.
 *
 * This module wires the parts: metrics.ts, informer-plan.ts (which informers) and
 * informers.ts (running them), probes.ts, api-token.ts, leadership.ts, and the API client
 * (src/client/) under reporter.ts and log-archiver.ts. What stays here is the judging of
 * one run (`observe`, `handle`), which needs all of them.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';
import { KiteClient } from '../client/client.js';
import { createLiveCluster, toLiveRun } from '../logs/live.js';
import { apiTokenReader } from './api-token.js';
import { loadClusterConfig } from './cluster-config.js';
import type {
  Controller,
  ControllerSettings,
  KubeObject,
  Observation,
  ObserveContext,
} from './controller.js';
import { PIPELINE_RUNS } from './controller.js';
import { enabledControllers } from './controllers/index.js';
import { cancellationOf } from './controllers/run-failure.js';
import { planInformers } from './informer-plan.js';
import { Informers, type Watched } from './informers.js';
import { describe } from './leader.js';
import { startLeadership } from './leadership.js';
import { LogArchiver } from './log-archiver.js';
import { createOperatorMetrics } from './metrics.js';
import type { OperatorConfig } from './operator-config.js';
import { startProbeServer } from './probes.js';
import { Reporter } from './reporter.js';
import { requestOf } from './requests.js';
import { ScopeIndex } from './scope-index.js';
import { CONFIGMAP_SUBSCRIPTIONS as SUBSCRIPTIONS } from './subscriptions/config-map.js';
import { startConfigMapSubscriptions, withSubscriptionsSelector } from './subscriptions/start.js';
import { startTaskUpdates, TASK_UPDATES } from './task-updates/start.js';

export interface RunningOperator {
  /** Base URL of the probes and metrics server. */
  url: string;
  /** Resolves when every informer has listed (and reporting has started or awaits the Lease). */
  synced: Promise<void>;
  readonly ready: boolean;
  readonly leading: boolean;
  readonly queueDepth: number;
  /** Resolves once everything queued has been delivered (while leading). */
  idle(): Promise<void>;
  metrics(): Promise<string>;
  close(): Promise<void>;
}

/** How long one report waits for the server's answer. */
const REPORT_TIMEOUT_MS = 10_000;

export async function startOperator(
  config: OperatorConfig,
  /** `now`: the clock task updates are judged by (tests move it). */
  options: { log?: Logger; now?: () => Date } = {},
): Promise<RunningOperator> {
  const log = options.log ?? pino({ level: config.logLevel, base: { component: 'operator' } });
  const kc = loadClusterConfig(config.kubeconfig, process.env);
  const settings: ControllerSettings = {
    logsUrlTemplate: config.logsUrlTemplate,
    mintmakerNamespace: config.mintmakerNamespace,
  };
  const controllers = enabledControllers(config.controllers, [TASK_UPDATES, SUBSCRIPTIONS]);

  // The queue-depth gauge reads the reporter when scraped, by then long created.
  const metrics = createOperatorMetrics(() => reporter.depth);
  const http = {
    baseUrl: config.apiUrl,
    token: apiTokenReader(config.tokenFile, log),
    timeoutMs: REPORT_TIMEOUT_MS,
    // A hub with member clusters reviews the token where it runs (docs/multi-cluster.md).
    ...(config.clusterName ? { headers: { 'x-kite-cluster': config.clusterName } } : {}),
  };
  const client = new KiteClient(http);
  const reporter = new Reporter({
    client,
    capacity: config.queueCapacity,
    concurrency: config.concurrency,
    backoffBaseMs: config.backoffBaseMs,
    backoffMaxMs: config.backoffMaxMs,
    timeoutMs: REPORT_TIMEOUT_MS,
    log,
    count: (result) => metrics.reports.inc({ result }),
  });
  const index = new ScopeIndex();
  const archiver = new LogArchiver({
    client,
    live: createLiveCluster(kc, config.mintmakerNamespace),
    log,
    concurrency: 2,
    maxAttempts: 10,
    count: (result) => metrics.archives.inc({ result }),
  });
  /** Cancelled runs already counted, so that a resync does not count them again. */
  const cancelledSeen = new Set<string>();

  const informers = new Informers(kc, {
    log,
    restarted: (resource) => metrics.restarts.inc({ resource }),
  });
  const taskUpdates = startTaskUpdates(config, kc, {
    log,
    metrics,
    now: options.now ?? (() => new Date()),
    enqueue: (delivery) => reporter.enqueue(delivery),
    details: (kind, namespace) => details(kind, namespace),
  });
  const subscriptions = startConfigMapSubscriptions(config, { log, http, metrics });
  /** Controllers wired apart: they watch through the plan but judge no single run. */
  const apart = { [TASK_UPDATES]: taskUpdates, [SUBSCRIPTIONS]: subscriptions };
  const plan = planInformers(
    [...controllers, ...Object.values(apart).flatMap((c) => (c ? [c.watches] : []))],
    withSubscriptionsSelector(config.controllers),
    settings,
  );
  const details: ObserveContext['details'] = (kind, namespace) =>
    informers.list(plan.detailsOf(kind, namespace), namespace);
  const contexts = new Map(
    controllers.map((controller): [string, ObserveContext] => {
      const own = config.controllers[controller.name] ?? {};
      const logsUrlTemplate =
        own.logsUrl ?? (controller.pipelineRunLinks ? config.logsUrlTemplate : undefined);
      const releaseTeamIssues = own.releaseTeamIssues === true;
      return [
        controller.name,
        { details, settings: { ...settings, logsUrlTemplate, releaseTeamIssues } },
      ];
    }),
  );
  const contextOf = (controller: Controller) =>
    contexts.get(controller.name) ?? { details, settings };

  const requestFor = (observation: Observation) =>
    requestOf(observation, index, {
      severity: config.severity,
      clusterName: config.clusterName,
      publicUrl: config.publicUrl,
    });

  const observe = (controller: Controller, run: KubeObject): Observation | undefined => {
    try {
      const observation = controller.observe(run, contextOf(controller));
      // A cancelled PipelineRun is never a failure, whichever controller judged it (the
      // mintmaker controller's runs included).
      if (!observation || observation.outcome === 'cancelled') return observation;
      const { group, plural } = controller.watches;
      const cancelledAs =
        group === PIPELINE_RUNS.group && plural === PIPELINE_RUNS.plural
          ? cancellationOf(run)
          : undefined;
      return cancelledAs
        ? { ...observation, outcome: 'cancelled', reason: cancelledAs }
        : observation;
    } catch (error) {
      metrics.observations.inc({ controller: controller.name, outcome: 'error' });
      log.error(
        {
          controller: controller.name,
          run: `${run.metadata.namespace}/${run.metadata.name}`,
          err: describe(error),
        },
        'a controller failed on a run; it is skipped',
      );
      return undefined;
    }
  };

  const handle = (controller: Controller, informer: Watched, run: KubeObject) => {
    if (!run.metadata?.name || !run.metadata.namespace) return;
    const key = `${controller.name}/${run.metadata.namespace}/${run.metadata.name}`;
    const observation = observe(controller, run);
    index.set(key, observation);
    if (!observation) return;
    // A cancelled run's logs are archived like any finished run's.
    if (controller.archivesLogs && config.controllers[controller.name]?.archiveLogs !== false) {
      const finished = toLiveRun(run, config.mintmakerNamespace);
      if (finished && finished.status !== 'Running') archiver.enqueue(finished);
    }
    if (observation.outcome === 'cancelled') {
      // Not a failure, not a success: counted once per run, visible at debug level.
      if (!cancelledSeen.has(key)) {
        cancelledSeen.add(key);
        metrics.cancelled.inc({ controller: controller.name, reason: observation.reason });
        log.debug(
          {
            controller: controller.name,
            run: `${run.metadata.namespace}/${run.metadata.name}`,
            reason: observation.reason,
          },
          'a cancelled run is neither a failure nor a success: not reported',
        );
      }
      return;
    }
    reporter.enqueue({
      key,
      version: run.metadata.resourceVersion ?? '',
      request: (final) => {
        // Judge the run as it is now (its TaskRuns may have arrived since it was queued);
        // a run deleted meanwhile is still reported as it was seen.
        const current = informer.get(run.metadata.name, run.metadata.namespace);
        const now = current && observe(controller, current);
        // The index follows what the run shows now (an issue listing several variants
        // reads the others' latest observations from it).
        if (now) index.set(key, now);
        const latest = now ?? observation;
        if (!final && (latest.incomplete || index.waitsForVariants(latest))) return 'defer';
        metrics.observations.inc({ controller: controller.name, outcome: latest.outcome });
        if (latest.outcome === 'cancelled') return undefined;
        return requestFor(latest);
      },
    });
  };

  const mains: {
    controller: Controller;
    informer: Watched;
    covers: (namespace: string) => boolean;
  }[] = [];
  const syncs: Promise<void>[] = [];
  let stopped = false;
  for (const { controller, namespaces, main, details: detailSpecs } of plan.controllers) {
    const covers = (namespace: string) => namespaces.length === 0 || namespaces.includes(namespace);
    const detailEntries = detailSpecs.map((spec) => informers.of(spec));
    const mainEntries = main.map((spec) => informers.of(spec));
    for (const { informer } of mainEntries) {
      if (controller.name in apart) {
        apart[controller.name as keyof typeof apart]?.watch(informer, covers);
        continue;
      }
      const seen = (event: 'add' | 'update' | 'delete', run: KubeObject) => {
        if (!covers(run.metadata.namespace)) return false;
        metrics.eventsSeen.inc({ controller: controller.name, event });
        return true;
      };
      informer.on('add', (run) => {
        if (seen('add', run)) handle(controller, informer, run);
      });
      informer.on('update', (run) => {
        if (seen('update', run)) handle(controller, informer, run);
      });
      informer.on('delete', (run) => {
        if (!seen('delete', run)) return;
        const key = `${controller.name}/${run.metadata.namespace}/${run.metadata.name}`;
        index.delete(key);
        reporter.forget(key);
        cancelledSeen.delete(key);
      });
      mains.push({ controller, informer, covers });
    }
    // Details first, so a run's failed TaskRuns are known when the run is first judged.
    // An informer that fails to list is restarted by its error handler; a controller
    // whose kind cannot be listed (a CRD missing) holds up only itself.
    syncs.push(
      (async () => {
        await Promise.all(detailEntries.map((e) => e.start()));
        await Promise.all(detailEntries.map((e) => e.synced));
        await Promise.all(mainEntries.map((e) => e.start()));
        await Promise.all(mainEntries.map((e) => e.synced));
        if (!stopped) log.info({ controller: controller.name }, 'controller synced');
      })(),
    );
  }

  const resyncAll = () => {
    reporter.overflowed = false;
    for (const { controller, informer, covers } of mains) {
      for (const run of informer.list()) {
        if (covers(run.metadata.namespace)) handle(controller, informer, run);
      }
    }
    for (const wired of Object.values(apart)) wired?.evaluateAll();
  };

  let ready = false;
  const probes = await startProbeServer({
    host: config.host,
    port: config.port,
    ready: () => ready,
    registry: metrics.registry,
  });

  let leading = false;
  // Reporting starts at once: each controller's runs are enqueued as its caches fill.
  // /readyz says 503 until every controller has synced.
  const resyncTimer = setInterval(() => resyncAll(), config.resyncMs);
  const overflowTimer = setInterval(() => {
    if (reporter.overflowed && reporter.depth < config.queueCapacity / 2) resyncAll();
  }, 5_000);
  const leadership = startLeadership(kc, config, log, (now) => {
    leading = now;
    metrics.leader.set(now ? 1 : 0);
    subscriptions?.lead(now);
    if (now) {
      reporter.start();
      archiver.start();
      resyncAll();
    } else {
      reporter.stop();
      archiver.stop();
    }
  });
  const synced = Promise.all(syncs).then(() => {
    if (stopped) return;
    ready = true;
    log.info(
      {
        controllers: controllers.map((c) => c.name),
        informers: informers.size,
        runs: mains.reduce((n, m) => n + m.informer.list().length, 0),
      },
      'informers synced',
    );
  });

  return {
    url: probes.url,
    synced,
    get ready() {
      return ready;
    },
    get leading() {
      return leading;
    },
    get queueDepth() {
      return reporter.depth;
    },
    idle: async () => {
      await reporter.idle();
      await archiver.idle();
      await subscriptions?.idle();
    },
    metrics: () => metrics.registry.metrics(),
    async close() {
      if (stopped) return;
      stopped = true;
      clearInterval(resyncTimer);
      clearInterval(overflowTimer);
      taskUpdates?.stop();
      subscriptions?.stop();
      ready = false;
      reporter.stop();
      archiver.stop();
      await leadership.stop();
      await informers.stop();
      await probes.close();
    },
  };
}
