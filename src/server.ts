/**
 * `kite serve`: opens the database, migrates, builds the API and listens; on SIGTERM it
 * stops accepting connections, lets in-flight requests finish and closes the database.
 */
import { createLogArchive } from './logs/archive.js';
import { createLiveCluster, kubeArchiveConfig } from './logs/live.js';
import { createRedactor, loadRedactPatterns } from './logs/redact.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import { kubernetesReadiness } from './api/readiness.js';
import type { AccessControl } from './auth/access.js';
import { chooseAccess } from './auth/choose-access.js';
import type { ServeConfig } from './config.js';
import { InputError } from './domain/errors.js';
import { seedDemo } from './demo.js';
import { versionInfo } from './version.js';
import { schedulePruning } from './retention.js';
import { startChangeFeed } from './store/change-feed.js';
import { openDatabase, type Database } from './store/database.js';
import { prepareEmbedded } from './store/embedded-prepare.js';
import { scheduleEmbeddedUpkeep } from './store/embedded-upkeep.js';
import { createAcknowledgementStore } from './store/acknowledgements.js';
import { createIssueStore } from './store/issue-store.js';
import { createSilenceStore } from './store/silence-store.js';
import { migrate } from './store/migrations.js';
import { loadWebhooks } from './webhooks/webhook-registry.js';
import { createTransport } from 'nodemailer';
import type { Registry } from 'prom-client';
import { startDispatcher, type Dispatcher, type DispatcherOptions } from './notify/dispatcher.js';
import { createNotificationMetrics, type NotificationMetrics } from './notify/metrics.js';
import { createSecretResolver } from './notify/secrets.js';
import { createNotificationQueue } from './store/notification-queue.js';
import { createSubscriptionStore } from './store/subscription-store.js';

export interface RunningServer {
  app: FastifyInstance;
  db: Database;
  url: string;
  /** The notification dispatcher, unless KITE_NOTIFICATIONS=false. */
  notifications: Dispatcher | undefined;
  close(): Promise<void>;
}

/** What tests may set on the dispatcher (its timings; `muted` in place of the silences'). */
export type NotifyOptions = Partial<
  Pick<
    DispatcherOptions,
    'muted' | 'pollMs' | 'holdRecheckMs' | 'maxAttempts' | 'backoffMs' | 'leaseMs'
  >
>;

/** How long one delivery attempt may take. */
const DELIVERY_TIMEOUT_MS = 10_000;

/** How often the embedded database is checked for vacuuming and analyzing, as autovacuum does. */
const EMBEDDED_UPKEEP_INTERVAL_MS = 60_000;

/** dist/web beside dist/server.js, or, run from src/ (tests, tsx), the checkout's dist/web. */
function builtDashboard(): string | undefined {
  const candidates = ['web', '../dist/web'].map((dir) =>
    fileURLToPath(new URL(dir, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

export function openConfiguredDatabase(config: ServeConfig): Promise<Database> {
  return openDatabase({
    url: config.databaseUrl,
    ...(config.databaseListenUrl ? { listenUrl: config.databaseListenUrl } : {}),
    dataDir: config.dataDir === 'memory://' ? 'memory://' : join(config.dataDir, 'pg'),
    poolSize: config.databasePoolSize,
  });
}

export async function startServer(
  config: ServeConfig,
  options: {
    access?: AccessControl;
    logger?: false;
    /** The built dashboard; default: dist/web of this checkout. */
    webRoot?: string;
    env?: Readonly<Record<string, string | undefined>>;
    notify?: NotifyOptions;
    /** Where the log goes instead of stdout (tests assert on it). */
    logStream?: NodeJS.WritableStream;
  } = {},
): Promise<RunningServer> {
  const chosen = options.access
    ? { access: options.access, mode: 'custom' }
    : // The store answers only once requests arrive, long after it is opened below.
      chooseAccess(config, options.env ?? {}, () => store.namespaces());
  const webhooks = await loadWebhooks(config.webhooksFile);
  const unknown = config.podReporterWebhooks.filter(
    (name) => !webhooks.some((w) => w.definition.name === name),
  );
  if (config.podReporters && unknown.length > 0) {
    throw new InputError(
      `KITE_POD_REPORTER_WEBHOOKS names unknown webhooks: ${unknown.join(', ')}`,
    );
  }
  const redactor = createRedactor(await loadRedactPatterns(config.redactPatternsFile));
  if (!config.databaseUrl && config.dataDir !== 'memory://') {
    await prepareEmbedded(join(config.dataDir, 'pg'));
  }
  const db = await openConfiguredDatabase(config);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  // Lists, counts and the overview read from the replica when one is configured.
  const replica = config.databaseReadUrl
    ? await openDatabase({ url: config.databaseReadUrl, poolSize: config.databasePoolSize })
    : undefined;
  const store = createIssueStore(db, {
    ingest: { windowMs: config.ingestBatchWindowMs, maxItems: config.ingestBatchMax },
    rootCause: { enabled: config.rootCauseGroups, windowMs: config.rootCauseWindowMs },
    ...(replica ? { replica } : {}),
  });
  // Also what mutes notifications: `silences.mutedBy` (docs/silences.md).
  const silences = createSilenceStore(db);
  const archive = createLogArchive(db);
  const cluster = 'kubeConfig' in chosen ? chosen.kubeConfig : undefined;
  let warn = (_message: string) => undefined as void;
  const feed = await startChangeFeed(db, () => warn('ignored a malformed change notification'));
  const queue = createNotificationQueue(db);
  let notificationMetrics: NotificationMetrics | undefined;
  const app = await buildApp({
    db,
    store,
    silences,
    acknowledgements: createAcknowledgementStore(db),
    feed,
    access: chosen.access,
    clusterName: config.clusterName,
    readYourWritesMs: config.readYourWritesMs,
    webhooks,
    settings: config.pipelineRunLogsBaseUrl
      ? { pipelineRunLogsBaseUrl: config.pipelineRunLogsBaseUrl }
      : {},
    version: versionInfo(),
    bodyLimitBytes: config.bodyLimitBytes,
    timeouts: {
      headersMs: config.headersTimeoutMs,
      requestMs: config.requestTimeoutMs,
      keepAliveMs: config.keepAliveTimeoutMs,
      idleMs: config.idleTimeoutMs,
    },
    rateLimit: { max: config.rateLimit, windowMs: config.rateLimitWindowMs },
    mcpBudget: config.mcpBudget,
    archive,
    live: cluster
      ? createLiveCluster(cluster, config.mintmakerNamespace, {
          timeoutMs: config.kubeApiTimeoutMs,
          dependency: 'the Kubernetes API',
        })
      : undefined,
    kubearchive:
      cluster && config.kubearchiveUrl
        ? createLiveCluster(
            kubeArchiveConfig(cluster, config.kubearchiveUrl, config.kubearchiveCaFile),
            config.mintmakerNamespace,
            { timeoutMs: config.kubeApiTimeoutMs, dependency: 'KubeArchive' },
          )
        : undefined,
    redactor,
    mintmakerNamespace: config.mintmakerNamespace,
    publicUrl: config.publicUrl,
    logCapBytes: config.logCapBytes,
    // Without authentication (development mode) there is no identity to check.
    logUploaders:
      chosen.mode === 'none' || config.logUploaders.includes('*')
        ? 'anyone'
        : new Set(config.logUploaders),
    // Without the Kubernetes API no protected request can be answered in kubernetes mode.
    readiness: cluster && chosen.mode === 'kubernetes' ? [kubernetesReadiness(cluster)] : [],
    eventStreams: {
      perCaller: config.eventStreamsPerCaller,
      recheckMs: config.authCacheTtlMs,
      bufferBytes: config.eventStreamBufferBytes,
    },
    dashboard: { root: options.webRoot ?? builtDashboard(), anonymous: chosen.mode === 'none' },
    notifications: {
      subscriptions: createSubscriptionStore(db),
      queue,
      metrics: config.notifications
        ? (registry: Registry) => {
            notificationMetrics = createNotificationMetrics(registry, queue);
          }
        : undefined,
    },
    logger:
      options.logger === false
        ? false
        : {
            level: config.logLevel,
            ...(options.logStream ? { stream: options.logStream } : {}),
          },
  });
  warn = (message) => app.log.warn(message);
  app.log.info(
    {
      authMode: chosen.mode,
      // Tokenless reports only mean something where callers are otherwise authenticated.
      podReporters: chosen.mode === 'kubernetes' && config.podReporters,
    },
    'access control',
  );
  if (config.podReporters && chosen.mode !== 'kubernetes') {
    app.log.warn('KITE_POD_REPORTERS is ignored outside KITE_AUTH_MODE=kubernetes');
  }
  if ('warning' in chosen && chosen.warning) app.log.warn(chosen.warning);
  if (config.demo) {
    const seeded = await seedDemo(db, store);
    if (seeded > 0) app.log.info({ seeded }, 'demo issues added');
  }
  const stopPruning = schedulePruning(store, config.retentionMs, config.pruneIntervalMs, app.log, {
    archive,
    maxAgeMs: config.logRetentionMs,
    perComponent: config.logRunsPerComponent,
  });
  const stopUpkeep = scheduleEmbeddedUpkeep(db, EMBEDDED_UPKEEP_INTERVAL_MS, app.log);
  const url = await app.listen({ host: config.host, port: config.port });
  const notifications = config.notifications
    ? await startDispatcher({
        db,
        queue,
        log: app.log.child({ component: 'notifications' }),
        metrics: notificationMetrics,
        sentRetentionMs: config.retentionMs,
        receivers: {
          secrets: createSecretResolver({
            dir: config.receiverSecretsDir,
            kubeConfig: cluster,
            timeoutMs: config.kubeApiTimeoutMs,
          }),
          dashboardUrl: config.dashboardUrl ?? config.publicUrl ?? url,
          mail: config.smtpUrl
            ? { transport: createTransport(config.smtpUrl), from: config.smtpFrom }
            : undefined,
          timeoutMs: DELIVERY_TIMEOUT_MS,
        },
        // A silenced issue's transitions are held until its silence ends (docs/silences.md).
        muted: (issueIds) => silences.mutedBy(issueIds),
        ...options.notify,
      })
    : undefined;
  return {
    app,
    db,
    url,
    notifications,
    async close() {
      // First: the sends under way finish (or give up) while the database is still open.
      await notifications?.stop();
      stopPruning();
      await stopUpkeep();
      await app.close();
      await feed.close();
      await replica?.close();
      await db.close();
    },
  };
}
