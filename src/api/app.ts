/**
 * Assembles the HTTP API from its parts. Everything it needs is passed in, so tests and
 * `kite serve` build exactly the same application.
 */
import type { LogArchive } from '../logs/archive.js';
import type { Redactor } from '../logs/redact.js';
import type { LiveCluster } from '../logs/live.js';
import { withMintmakerTies } from '../logs/mintmaker-ties.js';
import { createRunLogs } from '../logs/run-logs.js';
import { createRunOwnership, type Uploaders } from '../logs/run-ownership.js';
import { mintmakerRoutes } from './routes/mintmaker.js';
import { createRunLinker } from '../logs/run-links.js';
import { createCleanRuns } from './clean-runs.js';
import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import swagger from '@fastify/swagger';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import type { AccessControl } from '../auth/access.js';
import type { Settings } from '../domain/webhook-engine.js';
import type { ChangeFeed } from '../store/change-feed.js';
import type { Database } from '../store/database.js';
import type { IssueStore } from '../store/issue-store.js';
import type { NotificationQueue } from '../store/notification-queue.js';
import type { SubscriptionStore } from '../store/subscription-store.js';
import type { AcknowledgementStore } from '../store/acknowledgements.js';
import type { SilenceStore } from '../store/silence-store.js';
import { createGroupStore } from '../store/root-cause-groups.js';
import type { RegisteredWebhook } from '../webhooks/webhook-registry.js';
import { installErrorHandling } from './error-handler.js';
import { installValidation } from './validation.js';
import { installEmptyQueryValues } from './empty-query.js';
import { createGuard } from './guard.js';
import { DEFAULT_LOCAL_CLUSTER } from '../domain/place.js';
import { issueViewer } from './issue-view.js';
import type { ReadinessCheck } from './readiness.js';
import { installRateLimit, type RateLimitSettings } from './rate-limit.js';
import { createApiMetrics, instrumentRequests } from './metrics.js';
import { eventRoutes, type EventStreamOptions } from './routes/events.js';
import { groupRoutes } from './routes/groups.js';
import { healthRoutes, type VersionInfo } from './routes/health.js';
import { acknowledgementRoutes } from './routes/acknowledgements.js';
import { issueRoutes } from './routes/issues.js';
import { silenceRoutes } from './routes/silences.js';
import { namespaceRoutes } from './routes/namespaces.js';
import { notificationRoutes } from './routes/notifications.js';
import { operationRoutes } from './routes/operations.js';
import { overviewRoutes } from './routes/overview.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { webhookRoutes } from './routes/webhooks.js';
import { webAppRoutes, type WebAppOptions } from './web-app.js';
import { mcpRoutes } from '../mcp/http-route.js';

export interface AppDeps {
  db: Database;
  store: IssueStore;
  silences: SilenceStore;
  acknowledgements: AcknowledgementStore;
  feed: ChangeFeed;
  access: AccessControl;
  /** The server's own cluster's name (KITE_CLUSTER_NAME); default `local`. */
  clusterName?: string;
  /** How long after a change its caller's lists skip the read replica (default 5 s). */
  readYourWritesMs?: number;
  webhooks: RegisteredWebhook[];
  settings: Settings;
  version: VersionInfo;
  bodyLimitBytes: number;
  timeouts: ConnectionTimeouts;
  rateLimit: RateLimitSettings;
  /** The most characters one MCP tool answer may have (`/mcp`, docs/mcp.md). */
  mcpBudget: number;
  archive: LogArchive;
  /** The cluster, when the server has a Kubernetes configuration: live run logs. */
  live: LiveCluster | undefined;
  /** KubeArchive, where the cluster runs it: runs pruned from the cluster. */
  kubearchive: LiveCluster | undefined;
  redactor: Redactor;
  mintmakerNamespace: string;
  /** KITE_PUBLIC_URL: makes the links KITE creates absolute. */
  publicUrl?: string | undefined;
  logCapBytes: number;
  /** Who may archive MintMaker run logs (the bridge operator; anyone in development mode). */
  logUploaders: Uploaders;
  /** What `/readyz` checks besides the database (the Kubernetes API in kubernetes mode). */
  readiness: ReadinessCheck[];
  /** Per-caller cap and rights re-check of the live event streams. */
  eventStreams: EventStreamOptions;
  /** The dashboard served at `/` (src/api/web-app.ts); absent: none. */
  dashboard?: Omit<WebAppOptions, 'publicUrl'>;
  /** Subscriptions and deliveries (docs/notifications.md); `metrics` adds the dispatcher's. */
  notifications: {
    subscriptions: SubscriptionStore;
    queue: NotificationQueue;
    metrics?: (registry: Registry) => void;
  };
  /** pino options, or false to log nothing (tests); `stream`: where to (default: stdout). */
  logger: { level: string; stream?: NodeJS.WritableStream } | false;
}

/** How long a connection may take to send a request, and stay open without one. */
export interface ConnectionTimeouts {
  /** Headers complete (slow-header attacks: Node's `headersTimeout`). */
  headersMs: number;
  /** Whole request, body included (dripping bodies: Node's `requestTimeout`). */
  requestMs: number;
  /** Between requests on a keep-alive connection. */
  keepAliveMs: number;
  /** No traffic either way (a reader that stopped reading). */
  idleMs: number;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** One log line per request, on completion, instead of Fastify's "incoming" + "completed". */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    _error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    // The path only: query strings may carry names a log should not collect wholesale.
    const path = request.url.split('?')[0];
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    request.log.info(
      { method: request.method, path, status: reply.statusCode, ms },
      'request completed',
    );
  }
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger && {
      level: deps.logger.level,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.token', '*.password'],
        censor: '[REDACTED]',
      },
      // Lines written while a write is under way go out together in the next one, instead
      // of one blocking write per line (docs/decisions/0037-http-cpu-per-answer.md);
      // pino flushes what is left when the process exits.
      stream: deps.logger.stream ?? pino.destination({ dest: 1, sync: false }),
    },
    bodyLimit: deps.bodyLimitBytes,
    requestTimeout: deps.timeouts.requestMs,
    keepAliveTimeout: deps.timeouts.keepAliveMs,
    connectionTimeout: deps.timeouts.idleMs,
    http: {
      headersTimeout: deps.timeouts.headersMs,
      // Node checks the two timeouts above on this interval (default 30 s, which would
      // let a slow client hold a connection up to 30 s past its deadline).
      connectionsCheckingInterval: Math.max(
        25,
        Math.min(1000, Math.floor(deps.timeouts.headersMs / 4)),
      ),
    },
    // A `__proto__` (or `constructor.prototype`) key is dropped like any other key the
    // schemas do not know, instead of failing the whole body as "not valid JSON".
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    logController: new OneLinePerRequest(),
    routerOptions: { ignoreTrailingSlash: true },
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'KITE issues API',
        version: deps.version.version,
        description: deps.version.description,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  installErrorHandling(app);
  installValidation(app);
  installEmptyQueryValues(app);
  const metrics = createApiMetrics(deps.db);
  instrumentRequests(app, metrics.registry);
  deps.notifications.metrics?.(metrics.registry);
  const guard = createGuard(
    deps.access,
    deps.store,
    deps.access.clusters ?? { local: deps.clusterName ?? DEFAULT_LOCAL_CLUSTER, members: [] },
    deps.readYourWritesMs,
  );
  // An answer over every cluster names the member clusters it had to leave out.
  // A change is noted before its answer leaves, so the caller's next read sees it.
  app.addHook('onSend', (request, reply, payload, done) => {
    const leftOut = guard.leftOut(request);
    if (leftOut) reply.header('x-kite-clusters-unavailable', leftOut.join(','));
    const changed = !['GET', 'HEAD', 'OPTIONS'].includes(request.method) && reply.statusCode < 400;
    if (!changed) return done(null, payload);
    void guard.wrote(request).then(() => done(null, payload));
  });
  await installRateLimit(app, guard, deps.rateLimit);

  // Each route module is a plugin: a child of this instance, so it inherits everything
  // installed above (error handler, validation, empty-query hook, rate limit, metrics,
  // swagger's route collection), which is why those come first.
  const groups = createGroupStore(deps.db);
  await app.register(issueRoutes, { store: deps.store, silences: deps.silences, guard, groups });
  await app.register(silenceRoutes, { silences: deps.silences, guard });
  await app.register(acknowledgementRoutes, {
    acknowledgements: deps.acknowledgements,
    guard,
    view: issueViewer(guard, deps.silences, groups),
  });
  await app.register(groupRoutes, { groups, guard });
  await app.register(webhookRoutes, {
    store: withMintmakerTies(deps.store, app.log),
    enrich: createRunLinker({
      archive: deps.archive,
      live: deps.live,
      mintmakerNamespace: deps.mintmakerNamespace,
      publicUrl: deps.publicUrl,
    }),
    clearRun: createCleanRuns({
      store: deps.store,
      archive: deps.archive,
      live: deps.live,
      mintmakerNamespace: deps.mintmakerNamespace,
    }),
    guard,
    webhooks: deps.webhooks,
    settings: deps.settings,
    metrics,
  });
  await app.register(eventRoutes, {
    feed: deps.feed,
    guard,
    access: deps.access,
    streams: { ...deps.eventStreams, onTooSlow: () => metrics.slowStreamsDropped.inc() },
  });
  await app.register(overviewRoutes, { store: deps.store, guard });
  await app.register(subscriptionRoutes, {
    subscriptions: deps.notifications.subscriptions,
    guard,
  });
  await app.register(notificationRoutes, { queue: deps.notifications.queue, guard });
  await app.register(namespaceRoutes, { guard, withIssues: () => deps.store.namespaces() });
  await app.register(healthRoutes, {
    db: deps.db,
    version: deps.version,
    dependencies: deps.readiness,
  });
  await app.register(operationRoutes, { registry: metrics.registry });
  await app.register(mintmakerRoutes, {
    runs: createRunLogs({
      archive: deps.archive,
      live: deps.live,
      kubearchive: deps.kubearchive,
      redactor: deps.redactor,
      mintmakerNamespace: deps.mintmakerNamespace,
      logCapBytes: deps.logCapBytes,
      ownership: createRunOwnership({
        archive: deps.archive,
        live: deps.live,
        uploaders: deps.logUploaders,
        registry: metrics.registry,
      }),
    }),
    guard,
    mintmakerNamespace: deps.mintmakerNamespace,
  });
  await app.register(mcpRoutes, { guard, budget: deps.mcpBudget, version: deps.version.version });
  if (deps.dashboard) {
    await app.register(webAppRoutes, { ...deps.dashboard, publicUrl: deps.publicUrl });
  }
  await app.ready();
  return app;
}
