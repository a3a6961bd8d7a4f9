/**
 * Every setting of `kite serve`, typed and read once at start-up: flags win over
 * environment variables, which win over defaults. Nothing else reads `process.env`.
 */
import { InputError } from './domain/errors.js';
import { DEFAULT_LOCAL_CLUSTER } from './domain/place.js';
import type { ServeConfig } from './serve-config.js';
import {
  authMode,
  batchWindow,
  boolean,
  byteSize,
  clusterName,
  duration,
  integer,
  kubearchiveUrl,
  list,
  onOff,
  publicUrl,
  smtpUrl,
  trustedProxies,
  userList,
} from './setting-values.js';

export { byteSize, duration, publicUrl } from './setting-values.js';

export type { ServeConfig } from './serve-config.js';

export type ServeFlags = Partial<Record<keyof ServeConfig, string | boolean | undefined>>;
type Env = Readonly<Record<string, string | undefined>>;

/** How one setting is given: its environment variable, its default and its flag, if any. */
export interface Setting {
  env: string;
  /** Text parsed like a given value; none: unset, or derived from another setting. */
  default?: string;
  /** The `kite serve` flag (commander syntax); a flag without `<value>` is a boolean. */
  flag?: string;
  help?: string;
}

/** The webhooks MintMaker's Renovate log analyzer calls. */
export const ANALYZER_WEBHOOKS = ['mintmaker-custom', 'pipeline-success', 'pipeline-failure'];

/**
 * Every setting of `kite serve`, declared once: `kite`'s flags (src/cli/main.ts) and the
 * environment variables read here both come from this table, and so do the defaults.
 * `KITE_RATE_LIMIT`'s default (requests per caller per window on the expensive routes, 20 a
 * second) is generous: konflux-ui's overview asks about ten lists and counts per page view;
 * it is off (`0`) in `--auth-mode none` (one local user, the demo) unless set.
 */
export const SERVE_SETTINGS: Readonly<Record<keyof ServeConfig, Setting>> = {
  host: {
    env: 'KITE_HOST',
    default: '127.0.0.1',
    flag: '--host <host>',
    help: 'address to listen on',
  },
  port: { env: 'KITE_PORT', default: '8080', flag: '--port <port>', help: 'port to listen on' },
  databaseUrl: {
    env: 'KITE_DATABASE_URL',
    flag: '--database-url <url>',
    help: 'server PostgreSQL (postgres://…); default: embedded PGlite',
  },
  databaseReadUrl: { env: 'KITE_DATABASE_READ_URL' },
  databaseListenUrl: { env: 'KITE_DATABASE_LISTEN_URL' },
  readYourWritesMs: { env: 'KITE_READ_YOUR_WRITES', default: '5s' },
  dataDir: {
    env: 'KITE_DATA_DIR',
    default: '.kite',
    flag: '--data-dir <dir>',
    help: 'folder of the embedded database',
  },
  databasePoolSize: { env: 'KITE_DATABASE_POOL_SIZE', default: '10' },
  ingestBatchWindowMs: { env: 'KITE_INGEST_BATCH_WINDOW', default: '0' },
  ingestBatchMax: { env: 'KITE_INGEST_BATCH_MAX', default: '64' },
  rootCauseGroups: { env: 'KITE_ROOT_CAUSE_GROUPS', default: 'on' },
  rootCauseWindowMs: { env: 'KITE_ROOT_CAUSE_WINDOW', default: '24h' },
  bodyLimitBytes: {
    env: 'KITE_BODY_LIMIT',
    default: '1Mi',
    flag: '--body-limit <size>',
    help: 'largest accepted request body, e.g. 1Mi',
  },
  webhooksFile: {
    env: 'KITE_WEBHOOKS_FILE',
    flag: '--webhooks-file <file>',
    help: 'extra declarative webhooks (YAML or JSON)',
  },
  retentionMs: {
    env: 'KITE_RETENTION',
    default: '30d',
    flag: '--retention <duration>',
    help: 'prune resolved issues and events older than this',
  },
  pruneIntervalMs: { env: 'KITE_PRUNE_INTERVAL', default: '1h' },
  pipelineRunLogsBaseUrl: { env: 'KITE_PIPELINE_RUN_LOGS_URL' },
  logLevel: {
    env: 'KITE_LOG_LEVEL',
    default: 'info',
    flag: '--log-level <level>',
    help: 'trace, debug, info, warn, error',
  },
  demo: {
    env: 'KITE_DEMO',
    default: 'false',
    flag: '--demo',
    help: 'add a few realistic demo issues to an empty store',
  },
  authMode: {
    env: 'KITE_AUTH_MODE',
    default: 'auto',
    flag: '--auth-mode <mode>',
    help: 'kubernetes, none (loopback only) or auto',
  },
  kubeconfig: { env: 'KUBECONFIG' },
  clusterName: { env: 'KITE_CLUSTER_NAME', default: DEFAULT_LOCAL_CLUSTER },
  clustersFile: { env: 'KITE_CLUSTERS_FILE' },
  authCacheTtlMs: { env: 'KITE_AUTH_CACHE_TTL', default: '30s' },
  authNegativeCacheTtlMs: { env: 'KITE_AUTH_NEGATIVE_CACHE_TTL', default: '5s' },
  authCacheSize: { env: 'KITE_AUTH_CACHE_SIZE', default: '10000' },
  rbacGroup: { env: 'KITE_RBAC_GROUP', default: 'kite.konflux-ci.dev' },
  rbacResource: { env: 'KITE_RBAC_RESOURCE', default: 'issues' },
  rbacReadVerb: { env: 'KITE_RBAC_READ_VERB', default: 'get' },
  rbacWriteVerb: { env: 'KITE_RBAC_WRITE_VERB', default: 'update' },
  rbacReportVerb: { env: 'KITE_RBAC_REPORT_VERB', default: 'create' },
  rbacManageVerb: { env: 'KITE_RBAC_MANAGE_VERB', default: 'update' },
  mintmakerNamespace: { env: 'KITE_MINTMAKER_NAMESPACE', default: 'mintmaker' },
  logUploaders: { env: 'KITE_LOG_UPLOADERS', default: 'system:serviceaccount:kite:kite-operator' },
  logCapBytes: { env: 'KITE_LOG_CAP', default: '50Mi' },
  redactPatternsFile: { env: 'KITE_REDACT_PATTERNS_FILE' },
  logRetentionMs: { env: 'KITE_LOG_RETENTION', default: '30d' },
  logRunsPerComponent: { env: 'KITE_LOG_RUNS_PER_COMPONENT', default: '20' },
  kubearchiveUrl: { env: 'KITE_KUBEARCHIVE_URL' },
  kubearchiveCaFile: { env: 'KITE_KUBEARCHIVE_CA_FILE' },
  podReporters: { env: 'KITE_POD_REPORTERS', default: 'false' },
  podReporterWebhooks: { env: 'KITE_POD_REPORTER_WEBHOOKS', default: ANALYZER_WEBHOOKS.join(',') },
  podReportersNamespace: { env: 'KITE_POD_REPORTERS_NAMESPACE' },
  podReporterCacheTtlMs: { env: 'KITE_POD_REPORTER_CACHE_TTL', default: '5s' },
  trustedProxies: { env: 'KITE_TRUSTED_PROXIES' },
  publicUrl: {
    env: 'KITE_PUBLIC_URL',
    flag: '--public-url <url>',
    help: 'the API as users reach it (e.g. the console proxy prefix): links become absolute',
  },
  eventStreamsPerCaller: { env: 'KITE_EVENT_STREAMS_PER_CALLER', default: '20' },
  eventStreamBufferBytes: { env: 'KITE_EVENT_STREAM_BUFFER', default: '256Ki' },
  headersTimeoutMs: { env: 'KITE_HEADERS_TIMEOUT', default: '10s' },
  requestTimeoutMs: { env: 'KITE_REQUEST_TIMEOUT', default: '60s' },
  keepAliveTimeoutMs: { env: 'KITE_KEEP_ALIVE_TIMEOUT', default: '65s' },
  idleTimeoutMs: { env: 'KITE_IDLE_TIMEOUT', default: '10m' },
  kubeApiTimeoutMs: { env: 'KITE_KUBE_API_TIMEOUT', default: '10s' },
  rateLimit: { env: 'KITE_RATE_LIMIT', default: '1200' },
  rateLimitWindowMs: { env: 'KITE_RATE_LIMIT_WINDOW', default: '1m' },
  mcpBudget: { env: 'KITE_MCP_BUDGET', default: '20000' },
  notifications: { env: 'KITE_NOTIFICATIONS', default: 'true' },
  smtpUrl: { env: 'KITE_SMTP_URL' },
  smtpFrom: { env: 'KITE_SMTP_FROM', default: 'KITE <kite@localhost>' },
  receiverSecretsDir: { env: 'KITE_RECEIVER_SECRETS_DIR' },
  dashboardUrl: { env: 'KITE_DASHBOARD_URL' },
};

export function resolveServeConfig(flags: ServeFlags, env: Env): ServeConfig {
  const given = (key: keyof ServeConfig): string | undefined => {
    const flag = flags[key];
    if (typeof flag === 'boolean') return String(flag);
    return flag ?? env[SERVE_SETTINGS[key].env];
  };
  const pick = (key: keyof ServeConfig): string | undefined =>
    given(key) ?? SERVE_SETTINGS[key].default;
  /** A setting the table gives a default. */
  const text = (key: keyof ServeConfig): string => {
    const value = pick(key);
    if (value === undefined) throw new Error(`the setting ${key} has no default`);
    return value;
  };
  const databaseUrl = pick('databaseUrl');
  const databaseReadUrl = pick('databaseReadUrl') || undefined;
  const databaseListenUrl = pick('databaseListenUrl') || undefined;
  for (const [key, url] of [
    ['databaseUrl', databaseUrl],
    ['databaseReadUrl', databaseReadUrl],
    ['databaseListenUrl', databaseListenUrl],
  ] as const) {
    if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
      throw new InputError(`${SERVE_SETTINGS[key].env} must be a postgres:// URL`);
    }
  }
  if (databaseReadUrl && !databaseUrl) {
    throw new InputError(
      `${SERVE_SETTINGS.databaseReadUrl.env} needs ${SERVE_SETTINGS.databaseUrl.env}: a replica of the embedded database does not exist`,
    );
  }
  const mintmakerNamespace = text('mintmakerNamespace');
  const authModeValue = authMode(SERVE_SETTINGS.authMode.env, text('authMode'));
  const headersTimeoutMs = duration('headers timeout', text('headersTimeoutMs'));
  const requestTimeoutMs = duration('request timeout', text('requestTimeoutMs'));
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new InputError(
      `${SERVE_SETTINGS.headersTimeoutMs.env} must not be longer than ${SERVE_SETTINGS.requestTimeoutMs.env}`,
    );
  }
  return {
    host: text('host'),
    port: integer('port', text('port'), 0, 65535),
    databaseUrl,
    databaseReadUrl,
    databaseListenUrl,
    readYourWritesMs: duration('read-your-writes window', text('readYourWritesMs')),
    dataDir: text('dataDir'),
    databasePoolSize: integer('databasePoolSize', text('databasePoolSize'), 1, 1000),
    ingestBatchWindowMs: batchWindow(
      SERVE_SETTINGS.ingestBatchWindowMs.env,
      text('ingestBatchWindowMs'),
    ),
    ingestBatchMax: integer('ingestBatchMax', text('ingestBatchMax'), 1, 1000),
    rootCauseGroups: onOff(SERVE_SETTINGS.rootCauseGroups.env, text('rootCauseGroups')),
    rootCauseWindowMs: duration('root-cause window', text('rootCauseWindowMs')),
    bodyLimitBytes: byteSize(text('bodyLimitBytes'), 'body limit'),
    webhooksFile: pick('webhooksFile'),
    retentionMs: duration('retention', text('retentionMs')),
    pruneIntervalMs: duration('pruneInterval', text('pruneIntervalMs')),
    pipelineRunLogsBaseUrl: pick('pipelineRunLogsBaseUrl'),
    logLevel: text('logLevel'),
    demo: boolean(SERVE_SETTINGS.demo.env, text('demo')),
    authMode: authModeValue,
    kubeconfig: pick('kubeconfig') || undefined,
    clusterName: clusterName(SERVE_SETTINGS.clusterName.env, text('clusterName')),
    clustersFile: pick('clustersFile') || undefined,
    authCacheTtlMs: duration('auth cache TTL', text('authCacheTtlMs')),
    authNegativeCacheTtlMs: duration('auth negative cache TTL', text('authNegativeCacheTtlMs')),
    authCacheSize: integer('authCacheSize', text('authCacheSize'), 1, 10_000_000),
    rbacGroup: text('rbacGroup'),
    rbacResource: text('rbacResource'),
    rbacReadVerb: text('rbacReadVerb'),
    rbacWriteVerb: text('rbacWriteVerb'),
    rbacReportVerb: text('rbacReportVerb'),
    rbacManageVerb: text('rbacManageVerb'),
    mintmakerNamespace,
    logUploaders: userList(SERVE_SETTINGS.logUploaders.env, text('logUploaders')),
    logCapBytes: byteSize(text('logCapBytes'), 'log cap'),
    redactPatternsFile: pick('redactPatternsFile'),
    logRetentionMs: duration('log retention', text('logRetentionMs')),
    logRunsPerComponent: integer('logRunsPerComponent', text('logRunsPerComponent'), 1, 1_000_000),
    kubearchiveUrl: kubearchiveUrl(pick('kubearchiveUrl')),
    kubearchiveCaFile: pick('kubearchiveCaFile'),
    podReporters: boolean(SERVE_SETTINGS.podReporters.env, text('podReporters')),
    podReporterWebhooks: list(text('podReporterWebhooks')) ?? ANALYZER_WEBHOOKS,
    podReportersNamespace: pick('podReportersNamespace') || mintmakerNamespace,
    podReporterCacheTtlMs: duration('pod reporter cache TTL', text('podReporterCacheTtlMs')),
    trustedProxies: trustedProxies(pick('trustedProxies')),
    publicUrl: publicUrl(SERVE_SETTINGS.publicUrl.env, pick('publicUrl')),
    eventStreamsPerCaller: integer(
      'eventStreamsPerCaller',
      text('eventStreamsPerCaller'),
      1,
      100_000,
    ),
    eventStreamBufferBytes: byteSize(text('eventStreamBufferBytes'), 'event stream buffer'),
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: duration('keep-alive timeout', text('keepAliveTimeoutMs')),
    idleTimeoutMs: duration('idle timeout', text('idleTimeoutMs')),
    kubeApiTimeoutMs: duration('Kubernetes API timeout', text('kubeApiTimeoutMs')),
    rateLimit: integer(
      'rateLimit',
      given('rateLimit') ?? (authModeValue === 'none' ? '0' : text('rateLimit')),
      0,
      1_000_000,
    ),
    rateLimitWindowMs: duration('rate limit window', text('rateLimitWindowMs')),
    mcpBudget: integer('mcpBudget', text('mcpBudget'), 1000, 1_000_000),
    notifications: boolean(SERVE_SETTINGS.notifications.env, text('notifications')),
    smtpUrl: smtpUrl(SERVE_SETTINGS.smtpUrl.env, pick('smtpUrl') || undefined),
    smtpFrom: text('smtpFrom'),
    receiverSecretsDir: pick('receiverSecretsDir') || undefined,
    dashboardUrl: publicUrl(SERVE_SETTINGS.dashboardUrl.env, pick('dashboardUrl')),
  };
}
