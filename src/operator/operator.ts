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
  KubeConfig,
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
import { LeaderElector, describe } from './leader.js';
import { SERVICE_ACCOUNT_DIR, severityOf, type OperatorConfig } from './operator-config.js';
import { Reporter, backoff } from './reporter.js';
import { CLUSTER_LABEL } from './run-labels.js';
import { ScopeIndex } from './scope-index.js';

type Watched = Informer<KubeObject> & ObjectCache<KubeObject>;

export interface RunningOperator {
  /** Base URL of the probes and metrics server. */
  url: string;
  readonly ready: boolean;
  readonly leading: boolean;
  readonly queueDepth: number;
  /** Resolves once everything queued has been delivered (while leading). */
  idle(): Promise<void>;
  metrics(): Promise<string>;
  close(): Promise<void>;
}

const REASON_LIMIT = 16_000;
const TITLE_LIMIT = 500;
const TOKEN_REFRESH_MS = 60_000;

export async function startOperator(
  config: OperatorConfig,
  options: { log?: Logger } = {},
): Promise<RunningOperator> {
  const log = options.log ?? pino({ level: config.logLevel, base: { component: 'operator' } });
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else kc.loadFromDefault();
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
  new Gauge({
    name: 'kite_operator_queue_depth',
    help: 'Runs waiting to be delivered',
    registers: [registry],
    collect() {
      this.set(queue.depth);
    },
  });

  let stopped = false;

  // One informer per kind and namespace (undefined: cluster-wide), shared between controllers.
  const informers = new Map<string, Watched>();
  const watch = (kind: ResourceKind, namespace: string | undefined, selector: string) => {
    const key = `${kind.group}/${kind.plural}|${namespace ?? '*'}|${selector}`;
    const existing = informers.get(key);
    if (existing) return existing;
    const base = `/apis/${kind.group}/${kind.version}`;
    const path = namespace
      ? `${base}/namespaces/${namespace}/${kind.plural}`
      : `${base}/${kind.plural}`;
    const labelSelector = selector || undefined;
    const list = async () =>
      (namespace
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
          })) as KubernetesListObject<KubeObject>;
    const informer: Watched = makeInformer<KubeObject>(kc, path, list, labelSelector);
    let failures = 0;
    informer.on('connect', () => {
      failures = 0;
    });
    informer.on('error', (error: unknown) => {
      // client-node stops an informer after an error other than 410: start it again.
      if (stopped) return;
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
    informers.set(key, informer);
    return informer;
  };

  const details = (kind: ResourceKind, namespace: string): readonly KubeObject[] => {
    const found: KubeObject[] = [];
    for (const [key, informer] of informers) {
      if (!key.startsWith(`${kind.group}/${kind.plural}|`)) continue;
      const scope = key.split('|')[1];
      if (scope === '*' || scope === namespace) found.push(...informer.list(namespace));
    }
    return found;
  };
  const context = { details, settings };

  const labels = (observation: Observation) =>
    config.clusterName
      ? { ...observation.labels, [CLUSTER_LABEL]: config.clusterName }
      : observation.labels;

  const requestOf = (observation: Observation) => {
    if (!index.shouldReport(observation)) return undefined;
    const common = {
      namespace: observation.namespace,
      issueType: observation.issueType,
      scopeType: observation.scopeType,
      scopeName: observation.scopeName,
      runId: observation.runId,
      occurredAt: observation.completedAt,
    };
    if (observation.outcome === 'success') return { webhook: 'run-success', body: common };
    return {
      webhook: 'run-failure',
      body: {
        ...common,
        title: truncate(observation.title, TITLE_LIMIT),
        reason: truncate(observation.reason, REASON_LIMIT),
        severity: severityOf(config.severity, observation),
        ...(observation.logsUrl ? { logsUrl: observation.logsUrl } : {}),
        labels: labels(observation),
      },
    };
  };

  const observe = (controller: Controller, run: KubeObject): Observation | undefined => {
    try {
      return controller.observe(run, context);
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
    queue.enqueue({
      key,
      version: run.metadata.resourceVersion ?? '',
      request: () => {
        // Judge the run as it is now (its TaskRuns may have arrived since it was queued);
        // a run deleted meanwhile is still reported as it was seen.
        const current = informer.get(run.metadata.name, run.metadata.namespace);
        const latest = (current && observe(controller, current)) ?? observation;
        observations.inc({ controller: controller.name, outcome: latest.outcome });
        return requestOf(latest);
      },
    });
  };

  const mains: { controller: Controller; informer: Watched }[] = [];
  for (const controller of controllers) {
    const own = config.controllers[controller.name] ?? {};
    const namespaces = own.namespaces?.length
      ? own.namespaces
      : (controller.defaultNamespaces?.(settings) ?? []);
    const scopes = namespaces.length ? namespaces : [undefined];
    for (const kind of controller.details ?? []) {
      for (const namespace of scopes) watch(kind, namespace, '');
    }
    for (const namespace of scopes) {
      const informer = watch(controller.watches, namespace, own.labelSelector ?? '');
      informer.on('add', (run) => {
        eventsSeen.inc({ controller: controller.name, event: 'add' });
        handle(controller, informer, run);
      });
      informer.on('update', (run) => {
        eventsSeen.inc({ controller: controller.name, event: 'update' });
        handle(controller, informer, run);
      });
      informer.on('delete', (run) => {
        eventsSeen.inc({ controller: controller.name, event: 'delete' });
        const key = `${controller.name}/${run.metadata.namespace}/${run.metadata.name}`;
        index.delete(key);
        queue.forget(key);
      });
      mains.push({ controller, informer });
    }
  }

  const resyncAll = () => {
    queue.overflowed = false;
    for (const { controller, informer } of mains) {
      for (const run of informer.list()) handle(controller, informer, run);
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

  // Details first, so a run's failed TaskRuns are known when the run is first judged.
  const detailInformers = [...informers.values()].filter(
    (i) => !mains.some((m) => m.informer === i),
  );
  try {
    await Promise.all(detailInformers.map((i) => i.start()));
    await Promise.all([...new Set(mains.map((m) => m.informer))].map((i) => i.start()));
  } catch (error) {
    stopped = true;
    await closeServer(probes);
    await Promise.all([...informers.values()].map((i) => i.stop()));
    throw new InputError(`cannot watch the cluster: ${describe(error)}`);
  }
  ready = true;
  log.info(
    {
      controllers: controllers.map((c) => c.name),
      informers: informers.size,
      runs: mains.reduce((n, m) => n + m.informer.list().length, 0),
    },
    'informers synced',
  );

  const resyncTimer = setInterval(() => resyncAll(), config.resyncMs);
  const overflowTimer = setInterval(() => {
    if (queue.overflowed && queue.depth < config.queueCapacity / 2) resyncAll();
  }, 5_000);

  let elector: LeaderElector | undefined;
  let leading = false;
  const lead = (now: boolean) => {
    leading = now;
    leaderGauge.set(now ? 1 : 0);
    if (now) {
      queue.start();
      resyncAll();
    } else {
      queue.stop();
    }
  };
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

  return {
    url,
    get ready() {
      return ready;
    },
    get leading() {
      return leading;
    },
    get queueDepth() {
      return queue.depth;
    },
    idle: () => queue.idle(),
    metrics: () => registry.metrics(),
    async close() {
      if (stopped) return;
      stopped = true;
      clearInterval(resyncTimer);
      clearInterval(overflowTimer);
      queue.stop();
      await elector?.stop();
      await Promise.all([...informers.values()].map((i) => i.stop()));
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

function truncate(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
