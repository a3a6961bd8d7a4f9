/**
 * `kite operator`: the bridge between the cluster and the API server. Informers (list +
 * watch, re-listing on 410 Gone, restarted after errors) feed the controllers; each
 * completed run becomes an observation, queued for delivery to the server's
 * `run-failure` / `run-success` webhooks. Delivery is level-triggered: a periodic resync
 * (and every gain of leadership) looks at every cached run again, and what was already
 * delivered at the same resourceVersion is not sent twice. Only the Lease holder reports.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  CoordinationV1Api,
  CustomObjectsApi,
  makeInformer,
  type Informer,
  type KubernetesListObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { InputError } from '../domain/errors.js';
import { CONTROLLERS } from './controllers/index.js';
import type {
  Controller,
  ControllerSettings,
  KubeObject,
  Observation,
  ResourceKind,
} from './controller.js';
import { PIPELINE_RUNS } from './controller.js';
import { createLiveCluster, toLiveRun } from '../logs/live.js';
import { LeaderElector, describe } from './leader.js';
import { LogArchiver } from './log-archiver.js';
import { SERVICE_ACCOUNT_DIR, type OperatorConfig } from './operator-config.js';
import { loadClusterConfig } from './cluster-config.js';
import { Reporter, backoff } from './reporter.js';
import { cancellationOf } from './controllers/run-failure.js';
import { requestOf } from './requests.js';
import { ScopeIndex } from './scope-index.js';

type Watched = Informer<KubeObject> & ObjectCache<KubeObject>;

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

const TOKEN_REFRESH_MS = 60_000;

export async function startOperator(
  config: OperatorConfig,
  options: { log?: Logger } = {},
): Promise<RunningOperator> {
  const log = options.log ?? pino({ level: config.logLevel, base: { component: 'operator' } });
  const kc = loadClusterConfig(config.kubeconfig, process.env);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const settings: ControllerSettings = {
    logsUrlTemplate: config.logsUrlTemplate,
    mintmakerNamespace: config.mintmakerNamespace,
  };
  const controllers = enabledControllers(config);

  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kite_operator_' });
  const eventsSeen = new Counter({
    name: 'kite_operator_events_total',
    help: 'Watch events seen, by controller and event (add, update, delete)',
    labelNames: ['controller', 'event'] as const,
    registers: [registry],
  });
  const observations = new Counter({
    name: 'kite_operator_observations_total',
    help: 'Completed runs observed, by controller and outcome (failure, success, error)',
    labelNames: ['controller', 'outcome'] as const,
    registers: [registry],
  });
  const reports = new Counter({
    name: 'kite_operator_reports_total',
    help: 'Deliveries to the API server by result: sent, failed (rejected, not retried), retried, skipped (superseded by a newer run), overflow (queue full, picked up by the next resync)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const restarts = new Counter({
    name: 'kite_operator_informer_restarts_total',
    help: 'Informers restarted after a list or watch error, by resource',
    labelNames: ['resource'] as const,
    registers: [registry],
  });
  const cancelled = new Counter({
    name: 'kite_operator_cancelled_runs_total',
    help: 'Cancelled or stopped runs seen (neither failures nor successes: not reported), by controller and reason',
    labelNames: ['controller', 'reason'] as const,
    registers: [registry],
  });
  /** Cancelled runs already counted, so that a resync does not count them again. */
  const cancelledSeen = new Set<string>();
  const leaderGauge = new Gauge({
    name: 'kite_operator_leader',
    help: '1 while this replica holds the Lease and reports',
    registers: [registry],
  });
  for (const result of ['sent', 'failed', 'retried', 'skipped', 'overflow'])
    reports.inc({ result }, 0);

  const tokenOf = apiToken(config.tokenFile, log);
  const queue = new Reporter({
    apiUrl: config.apiUrl,
    token: tokenOf,
    capacity: config.queueCapacity,
    concurrency: config.concurrency,
    backoffBaseMs: config.backoffBaseMs,
    backoffMaxMs: config.backoffMaxMs,
    timeoutMs: 10_000,
    log,
    count: (result) => reports.inc({ result }),
  });
  const index = new ScopeIndex();
  const archives = new Counter({
    name: 'kite_operator_log_archives_total',
    help: 'MintMaker runs whose logs were archived, by result (archived, retried, failed)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const archiver = new LogArchiver({
    apiUrl: config.apiUrl,
    token: tokenOf,
    live: createLiveCluster(kc, config.mintmakerNamespace),
    log,
    concurrency: 2,
    maxAttempts: 10,
    count: (result) => archives.inc({ result }),
  });
  new Gauge({
    name: 'kite_operator_queue_depth',
    help: 'Runs waiting to be delivered',
    registers: [registry],
    collect() {
      this.set(queue.depth);
    },
  });

  let stopped = false;

  // One informer per kind, selector and namespace, shared between controllers: where any
  // controller needs a kind cluster-wide, one cluster-wide informer serves them all.
  interface Entry {
    informer: Watched;
    /** Resolves on the first successful list. */
    synced: Promise<void>;
    /** Starts the informer once, however many controllers use it. */
    start: () => Promise<void>;
  }
  const informers = new Map<string, Entry>();
  const watch = (kind: ResourceKind, namespace: string | undefined, selector: string): Entry => {
    const key = `${kind.group}/${kind.plural}|${namespace ?? '*'}|${selector}`;
    const existing = informers.get(key);
    if (existing) return existing;
    const base = `/apis/${kind.group}/${kind.version}`;
    const path = namespace
      ? `${base}/namespaces/${namespace}/${kind.plural}`
      : `${base}/${kind.plural}`;
    const labelSelector = selector || undefined;
    let failures = 0;
    let lastError = 0;
    let listed!: () => void;
    const synced = new Promise<void>((resolve) => (listed = resolve));
    const list = async () => {
      const result = (
        namespace
          ? await custom.listNamespacedCustomObject({
              group: kind.group,
              version: kind.version,
              namespace,
              plural: kind.plural,
              labelSelector,
            })
          : await custom.listClusterCustomObject({
              group: kind.group,
              version: kind.version,
              plural: kind.plural,
              labelSelector,
            })
      ) as KubernetesListObject<KubeObject>;
      // client-node swallows list errors (they go to the error callbacks), so a
      // successful list is the only sure sign of a synced cache.
      failures = 0;
      listed();
      return result;
    };
    const informer: Watched = makeInformer<KubeObject>(kc, path, list, labelSelector);
    informer.on('error', (error: unknown) => {
      // client-node stops an informer after an error other than 410: start it again.
      if (stopped) return;
      // A watch that ran fine for a minute starts the backoff over.
      if (Date.now() - lastError > 60_000) failures = 0;
      lastError = Date.now();
      failures += 1;
      restarts.inc({ resource: kind.plural });
      const delay = backoff(failures, 500, 30_000);
      log.warn(
        {
          resource: kind.plural,
          namespace: namespace ?? '*',
          err: describe(error),
          retryInMs: Math.round(delay),
        },
        'watch failed: restarting the informer',
      );
      setTimeout(() => {
        if (!stopped) informer.start().catch(() => undefined);
      }, delay);
    });
    let started: Promise<void> | undefined;
    const entry = { informer, synced, start: () => (started ??= informer.start()) };
    informers.set(key, entry);
    return entry;
  };

  // Which namespaces each kind (and selector) is watched in; '*' absorbs the rest.
  const controllerNamespaces = (controller: Controller) => {
    const own = config.controllers[controller.name] ?? {};
    return own.namespaces?.length
      ? own.namespaces
      : (controller.defaultNamespaces?.(settings) ?? []);
  };
  const plan = new Map<string, Set<string>>();
  const planKey = (kind: ResourceKind, selector: string) =>
    `${kind.group}/${kind.plural}|${selector}`;
  const need = (kind: ResourceKind, selector: string, namespaces: string[]) => {
    const key = planKey(kind, selector);
    const set = plan.get(key) ?? new Set<string>();
    for (const namespace of namespaces.length ? namespaces : ['*']) set.add(namespace);
    plan.set(key, set);
  };
  for (const controller of controllers) {
    const namespaces = controllerNamespaces(controller);
    need(controller.watches, config.controllers[controller.name]?.labelSelector ?? '', namespaces);
    for (const kind of controller.details ?? []) need(kind, '', namespaces);
  }
  /** The informers that cover these namespaces (empty: cluster-wide) for a kind. */
  const informersFor = (kind: ResourceKind, selector: string, namespaces: string[]): Entry[] => {
    const planned = plan.get(planKey(kind, selector)) ?? new Set<string>();
    if (planned.has('*')) return [watch(kind, undefined, selector)];
    return namespaces.map((namespace) => watch(kind, namespace, selector));
  };

  const details = (kind: ResourceKind, namespace: string): readonly KubeObject[] => {
    const planned = plan.get(planKey(kind, ''));
    if (!planned) return [];
    const key = planned.has('*') ? '*' : namespace;
    return informers.get(`${kind.group}/${kind.plural}|${key}|`)?.informer.list(namespace) ?? [];
  };
  const contexts = new Map(
    controllers.map((controller) => {
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
      observations.inc({ controller: controller.name, outcome: 'error' });
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
        cancelled.inc({ controller: controller.name, reason: observation.reason });
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
    queue.enqueue({
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
        observations.inc({ controller: controller.name, outcome: latest.outcome });
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
  for (const controller of controllers) {
    const namespaces = controllerNamespaces(controller);
    const covers = (namespace: string) => namespaces.length === 0 || namespaces.includes(namespace);
    const selector = config.controllers[controller.name]?.labelSelector ?? '';
    const detailEntries = (controller.details ?? []).flatMap((kind) =>
      informersFor(kind, '', namespaces),
    );
    const mainEntries = informersFor(controller.watches, selector, namespaces);
    for (const { informer } of mainEntries) {
      informer.on('add', (run) => {
        if (!covers(run.metadata.namespace)) return;
        eventsSeen.inc({ controller: controller.name, event: 'add' });
        handle(controller, informer, run);
      });
      informer.on('update', (run) => {
        if (!covers(run.metadata.namespace)) return;
        eventsSeen.inc({ controller: controller.name, event: 'update' });
        handle(controller, informer, run);
      });
      informer.on('delete', (run) => {
        if (!covers(run.metadata.namespace)) return;
        eventsSeen.inc({ controller: controller.name, event: 'delete' });
        const key = `${controller.name}/${run.metadata.namespace}/${run.metadata.name}`;
        index.delete(key);
        queue.forget(key);
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
    queue.overflowed = false;
    for (const { controller, informer, covers } of mains) {
      for (const run of informer.list()) {
        if (covers(run.metadata.namespace)) handle(controller, informer, run);
      }
    }
  };

  // Probes and metrics.
  let ready = false;
  const probes = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (path === '/readyz') {
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ready ? 'ready' : 'informers not synced yet');
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    probes.once('error', reject);
    probes.listen(config.port, config.host, resolve);
  });
  const address = probes.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  let elector: LeaderElector | undefined;
  let leading = false;
  const lead = (now: boolean) => {
    leading = now;
    leaderGauge.set(now ? 1 : 0);
    if (now) {
      queue.start();
      archiver.start();
      resyncAll();
    } else {
      queue.stop();
      archiver.stop();
    }
  };

  // Reporting starts at once: each controller's runs are enqueued as its caches fill.
  // /readyz says 503 until every controller has synced.
  const resyncTimer = setInterval(() => resyncAll(), config.resyncMs);
  const overflowTimer = setInterval(() => {
    if (queue.overflowed && queue.depth < config.queueCapacity / 2) resyncAll();
  }, 5_000);
  if (config.leaderElection) {
    elector = new LeaderElector(kc.makeApiClient(CoordinationV1Api), {
      namespace: config.leaseNamespace,
      name: config.leaseName,
      identity: `${hostname()}-${randomBytes(4).toString('hex')}`,
      leaseDurationSeconds: config.leaseDurationSeconds,
      retryPeriodMs: config.leaseRetryMs,
      log,
      onChange: lead,
    });
    elector.start();
  } else {
    lead(true);
  }
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
    url,
    synced,
    get ready() {
      return ready;
    },
    get leading() {
      return leading;
    },
    get queueDepth() {
      return queue.depth;
    },
    idle: async () => {
      await queue.idle();
      await archiver.idle();
    },
    metrics: () => registry.metrics(),
    async close() {
      if (stopped) return;
      stopped = true;
      clearInterval(resyncTimer);
      clearInterval(overflowTimer);
      ready = false;
      queue.stop();
      archiver.stop();
      await elector?.stop();
      await Promise.all([...informers.values()].map(({ informer }) => informer.stop()));
      await closeServer(probes);
    },
  };
}

function enabledControllers(config: OperatorConfig): Controller[] {
  const known = new Set(CONTROLLERS.map((c) => c.name));
  for (const name of Object.keys(config.controllers)) {
    if (!known.has(name)) {
      throw new InputError(
        `unknown controller "${name}" in the config (known: ${[...known].join(', ')})`,
      );
    }
  }
  return CONTROLLERS.filter((c) => config.controllers[c.name]?.enabled !== false);
}

/**
 * The bearer token for the API server: the given file, else the pod's service-account
 * token when there is one. Re-read every minute (projected tokens rotate).
 */
function apiToken(file: string | undefined, log: Logger): () => Promise<string | undefined> {
  const path = file ?? `${SERVICE_ACCOUNT_DIR}/token`;
  let cached: string | undefined;
  let readAt = -Infinity;
  let warned = false;
  return async () => {
    if (Date.now() - readAt < TOKEN_REFRESH_MS) return cached;
    readAt = Date.now();
    try {
      await stat(path);
      cached = (await readFile(path, 'utf8')).trim() || undefined;
    } catch {
      if (!warned) {
        if (file) log.error({ file }, 'cannot read the token file: reporting without a token');
        else log.warn('no token file and no service-account token: reporting without a token');
      }
      warned = true;
      cached = undefined;
    }
    return cached;
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
