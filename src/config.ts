/**
 * Every setting of `kite serve`, typed and read once at start-up: flags win over
 * environment variables, which win over defaults. Nothing else reads `process.env`.
 */
import { isIP } from 'node:net';
import { InputError } from './domain/errors.js';

export interface ServeConfig {
  host: string;
  port: number;
  /** A `postgres://` URL; without it the embedded PostgreSQL (PGlite) in `dataDir` is used. */
  databaseUrl: string | undefined;
  dataDir: string;
  databasePoolSize: number;
  bodyLimitBytes: number;
  webhooksFile: string | undefined;
  /** Resolved issues and timeline events older than this are pruned. */
  retentionMs: number;
  pruneIntervalMs: number;
  /** Base for "Pipeline Run Logs" links when a report has a run id but no logs URL. */
  pipelineRunLogsBaseUrl: string | undefined;
  logLevel: string;
  demo: boolean;
  /** `kubernetes`, `none` (anonymous, loopback only) or `auto` (kubernetes when a cluster configuration is found). */
  authMode: 'kubernetes' | 'none' | 'auto';
  /** A kubeconfig file; without it: in-cluster, else `~/.kube/config`. */
  kubeconfig: string | undefined;
  authCacheTtlMs: number;
  authNegativeCacheTtlMs: number;
  authCacheSize: number;
  /** The RBAC attributes that mean "may read / change / report issues" in a namespace. */
  rbacGroup: string;
  rbacResource: string;
  rbacReadVerb: string;
  rbacWriteVerb: string;
  rbacReportVerb: string;
  /** Where MintMaker runs its PipelineRuns: its readers may read every run's logs. */
  mintmakerNamespace: string;
  /**
   * User names that may archive MintMaker run logs (register runs, upload steps); `*`:
   * anyone with report permission. Ignored without authentication (development mode).
   */
  logUploaders: string[];
  /** Largest archived log per run; beyond it the beginning is dropped. */
  logCapBytes: number;
  /** A file of extra redaction patterns (regular expressions, one per line). */
  redactPatternsFile: string | undefined;
  /** Archived MintMaker run logs older than this are pruned. */
  logRetentionMs: number;
  /** At most this many archived runs are kept per component. */
  logRunsPerComponent: number;
  /** KubeArchive's API, read for runs neither the cluster nor the archive still has. */
  kubearchiveUrl: string | undefined;
  kubearchiveCaFile: string | undefined;
  /**
   * Reports without a token from a running MintMaker run's pod (identified by its pod IP,
   * looked up in `podReportersNamespace`); off by default (docs/auth.md).
   */
  podReporters: boolean;
  /** The webhooks such reports may call. */
  podReporterWebhooks: string[];
  /** Where the reporters' pods run; default: the MintMaker namespace. */
  podReportersNamespace: string;
  /** How long a pod-IP lookup is reused. */
  podReporterCacheTtlMs: number;
  /** Proxies whose `X-Forwarded-For` is believed (exact IP addresses). */
  trustedProxies: string[];
  /** Base URL of the API as users reach it; makes the links KITE creates absolute. */
  publicUrl: string | undefined;
  /** How many live event streams one caller may hold open at once. */
  eventStreamsPerCaller: number;
  /** Bytes that may wait in the server for one live event stream before it is dropped. */
  eventStreamBufferBytes: number;
  /** A request's headers must arrive within this (slow-header attacks). */
  headersTimeoutMs: number;
  /** A whole request, headers and body, must arrive within this (dripping bodies). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic either way (a stalled reader, a silent log follow). */
  idleTimeoutMs: number;
  /** One call to the Kubernetes API (or KubeArchive); a pod log only until it starts. */
  kubeApiTimeoutMs: number;
  /** Requests per caller per window on the expensive routes (lists, log reads); 0: off. */
  rateLimit: number;
  rateLimitWindowMs: number;
}

export type ServeFlags = Partial<Record<keyof ServeConfig, string | boolean | undefined>>;
type Env = Readonly<Record<string, string | undefined>>;

const ENV_NAMES: Record<keyof ServeConfig, string> = {
  host: 'KITE_HOST',
  port: 'KITE_PORT',
  databaseUrl: 'KITE_DATABASE_URL',
  dataDir: 'KITE_DATA_DIR',
  databasePoolSize: 'KITE_DATABASE_POOL_SIZE',
  bodyLimitBytes: 'KITE_BODY_LIMIT',
  webhooksFile: 'KITE_WEBHOOKS_FILE',
  retentionMs: 'KITE_RETENTION',
  pruneIntervalMs: 'KITE_PRUNE_INTERVAL',
  pipelineRunLogsBaseUrl: 'KITE_PIPELINE_RUN_LOGS_URL',
  logLevel: 'KITE_LOG_LEVEL',
  demo: 'KITE_DEMO',
  authMode: 'KITE_AUTH_MODE',
  kubeconfig: 'KUBECONFIG',
  authCacheTtlMs: 'KITE_AUTH_CACHE_TTL',
  authNegativeCacheTtlMs: 'KITE_AUTH_NEGATIVE_CACHE_TTL',
  authCacheSize: 'KITE_AUTH_CACHE_SIZE',
  rbacGroup: 'KITE_RBAC_GROUP',
  rbacResource: 'KITE_RBAC_RESOURCE',
  rbacReadVerb: 'KITE_RBAC_READ_VERB',
  rbacWriteVerb: 'KITE_RBAC_WRITE_VERB',
  rbacReportVerb: 'KITE_RBAC_REPORT_VERB',
  mintmakerNamespace: 'KITE_MINTMAKER_NAMESPACE',
  logUploaders: 'KITE_LOG_UPLOADERS',
  logCapBytes: 'KITE_LOG_CAP',
  redactPatternsFile: 'KITE_REDACT_PATTERNS_FILE',
  logRetentionMs: 'KITE_LOG_RETENTION',
  logRunsPerComponent: 'KITE_LOG_RUNS_PER_COMPONENT',
  kubearchiveUrl: 'KITE_KUBEARCHIVE_URL',
  kubearchiveCaFile: 'KITE_KUBEARCHIVE_CA_FILE',
  podReporters: 'KITE_POD_REPORTERS',
  podReporterWebhooks: 'KITE_POD_REPORTER_WEBHOOKS',
  podReportersNamespace: 'KITE_POD_REPORTERS_NAMESPACE',
  podReporterCacheTtlMs: 'KITE_POD_REPORTER_CACHE_TTL',
  trustedProxies: 'KITE_TRUSTED_PROXIES',
  publicUrl: 'KITE_PUBLIC_URL',
  eventStreamsPerCaller: 'KITE_EVENT_STREAMS_PER_CALLER',
  eventStreamBufferBytes: 'KITE_EVENT_STREAM_BUFFER',
  headersTimeoutMs: 'KITE_HEADERS_TIMEOUT',
  requestTimeoutMs: 'KITE_REQUEST_TIMEOUT',
  keepAliveTimeoutMs: 'KITE_KEEP_ALIVE_TIMEOUT',
  idleTimeoutMs: 'KITE_IDLE_TIMEOUT',
  kubeApiTimeoutMs: 'KITE_KUBE_API_TIMEOUT',
  rateLimit: 'KITE_RATE_LIMIT',
  rateLimitWindowMs: 'KITE_RATE_LIMIT_WINDOW',
};

/** The webhooks MintMaker's Renovate log analyzer calls. */
export const ANALYZER_WEBHOOKS = ['mintmaker-custom', 'pipeline-success', 'pipeline-failure'];

/**
 * Requests per caller per minute on the expensive routes (20 a second). Generous: konflux-ui's
 * overview asks about ten lists and counts per page view. Off by default in
 * `--auth-mode none` (one local user, the demo) unless set.
 */
const DEFAULT_RATE_LIMIT = '1200';

export function resolveServeConfig(flags: ServeFlags, env: Env): ServeConfig {
  const pick = (key: keyof ServeConfig): string | undefined => {
    const flag = flags[key];
    if (typeof flag === 'boolean') return String(flag);
    return flag ?? env[ENV_NAMES[key]] ?? undefined;
  };
  const databaseUrl = pick('databaseUrl');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new InputError(`${ENV_NAMES.databaseUrl} must be a postgres:// URL`);
  }
  const mintmakerNamespace = pick('mintmakerNamespace') ?? 'mintmaker';
  const authModeValue = authMode(pick('authMode') ?? 'auto');
  const headersTimeoutMs = duration('headers timeout', pick('headersTimeoutMs') ?? '10s');
  const requestTimeoutMs = duration('request timeout', pick('requestTimeoutMs') ?? '60s');
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new InputError(
      `${ENV_NAMES.headersTimeoutMs} must not be longer than ${ENV_NAMES.requestTimeoutMs}`,
    );
  }
  return {
    host: pick('host') ?? '127.0.0.1',
    port: integer('port', pick('port') ?? '8080', 0, 65535),
    databaseUrl,
    dataDir: pick('dataDir') ?? '.kite',
    databasePoolSize: integer('databasePoolSize', pick('databasePoolSize') ?? '10', 1, 1000),
    bodyLimitBytes: byteSize(pick('bodyLimitBytes') ?? '1Mi', 'body limit'),
    webhooksFile: pick('webhooksFile'),
    retentionMs: duration('retention', pick('retentionMs') ?? '30d'),
    pruneIntervalMs: duration('pruneInterval', pick('pruneIntervalMs') ?? '1h'),
    pipelineRunLogsBaseUrl: pick('pipelineRunLogsBaseUrl'),
    logLevel: pick('logLevel') ?? 'info',
    demo: pick('demo') === 'true',
    authMode: authModeValue,
    kubeconfig: pick('kubeconfig') || undefined,
    authCacheTtlMs: duration('auth cache TTL', pick('authCacheTtlMs') ?? '30s'),
    authNegativeCacheTtlMs: duration(
      'auth negative cache TTL',
      pick('authNegativeCacheTtlMs') ?? '5s',
    ),
    authCacheSize: integer('authCacheSize', pick('authCacheSize') ?? '10000', 1, 10_000_000),
    rbacGroup: pick('rbacGroup') ?? 'kite.konflux-ci.dev',
    rbacResource: pick('rbacResource') ?? 'issues',
    rbacReadVerb: pick('rbacReadVerb') ?? 'get',
    rbacWriteVerb: pick('rbacWriteVerb') ?? 'update',
    rbacReportVerb: pick('rbacReportVerb') ?? 'create',
    mintmakerNamespace,
    logUploaders: userList(
      'KITE_LOG_UPLOADERS',
      pick('logUploaders') ?? 'system:serviceaccount:kite:kite-operator',
    ),
    logCapBytes: byteSize(pick('logCapBytes') ?? '50Mi', 'log cap'),
    redactPatternsFile: pick('redactPatternsFile'),
    logRetentionMs: duration('log retention', pick('logRetentionMs') ?? '30d'),
    logRunsPerComponent: integer(
      'logRunsPerComponent',
      pick('logRunsPerComponent') ?? '20',
      1,
      1_000_000,
    ),
    kubearchiveUrl: kubearchiveUrl(pick('kubearchiveUrl')),
    kubearchiveCaFile: pick('kubearchiveCaFile'),
    podReporters: boolean('podReporters', pick('podReporters') ?? 'false'),
    podReporterWebhooks: list(pick('podReporterWebhooks')) ?? ANALYZER_WEBHOOKS,
    podReportersNamespace: pick('podReportersNamespace') || mintmakerNamespace,
    podReporterCacheTtlMs: duration(
      'pod reporter cache TTL',
      pick('podReporterCacheTtlMs') ?? '5s',
    ),
    trustedProxies: trustedProxies(pick('trustedProxies')),
    publicUrl: publicUrl(ENV_NAMES.publicUrl, pick('publicUrl')),
    eventStreamsPerCaller: integer(
      'eventStreamsPerCaller',
      pick('eventStreamsPerCaller') ?? '20',
      1,
      100_000,
    ),
    eventStreamBufferBytes: byteSize(
      pick('eventStreamBufferBytes') ?? '256Ki',
      'event stream buffer',
    ),
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: duration('keep-alive timeout', pick('keepAliveTimeoutMs') ?? '65s'),
    idleTimeoutMs: duration('idle timeout', pick('idleTimeoutMs') ?? '10m'),
    kubeApiTimeoutMs: duration('Kubernetes API timeout', pick('kubeApiTimeoutMs') ?? '10s'),
    rateLimit: integer(
      'rateLimit',
      pick('rateLimit') ?? (authModeValue === 'none' ? '0' : DEFAULT_RATE_LIMIT),
      0,
      1_000_000,
    ),
    rateLimitWindowMs: duration('rate limit window', pick('rateLimitWindowMs') ?? '1m'),
  };
}

function boolean(name: keyof ServeConfig, text: string): boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  throw new InputError(`${ENV_NAMES[name]} must be true or false, got "${text}"`);
}

/** A comma-separated list; undefined when not given or empty. */
function list(text: string | undefined): string[] | undefined {
  const items = (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return items.length ? items : undefined;
}

function trustedProxies(text: string | undefined): string[] {
  const addresses = list(text) ?? [];
  for (const address of addresses) {
    if (isIP(address) === 0) {
      throw new InputError(
        `KITE_TRUSTED_PROXIES must be IP addresses separated by commas, got "${address}"`,
      );
    }
  }
  return addresses;
}

/**
 * The public base URL (`KITE_PUBLIC_URL` / the operator's `publicUrl`): an http(s) URL
 * with a host, no query or fragment; kept without its trailing slashes.
 */
export function publicUrl(name: string, text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || !url.host || url.search || url.hash) {
    throw new InputError(
      `${name} must be an http(s):// URL without a query or fragment, e.g. https://console.example.com/api/k8s/plugins/kite, got "${text}"`,
    );
  }
  return text.replace(/\/+$/, '');
}

function kubearchiveUrl(url: string | undefined): string | undefined {
  if (url === undefined || url === '') return undefined;
  if (!/^https?:\/\/[^/]+/.test(url)) {
    throw new InputError(`KITE_KUBEARCHIVE_URL must be an http(s):// URL, got "${url}"`);
  }
  return url.replace(/\/+$/, '');
}

/** A comma-separated list of user names (or `*`), none of them empty. */
function userList(name: string, text: string): string[] {
  const names = text.split(',').map((entry) => entry.trim());
  if (names.some((entry) => entry === '')) {
    throw new InputError(`${name} must be user names separated by commas (or *), got "${text}"`);
  }
  return names;
}

function authMode(text: string): ServeConfig['authMode'] {
  if (text === 'kubernetes' || text === 'none' || text === 'auto') return text;
  throw new InputError(`KITE_AUTH_MODE must be kubernetes, none or auto, got "${text}"`);
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `90s`, `15m`, `12h`, `30d` (or a bare number of seconds). */
export function duration(name: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  const unit = DURATION_UNITS[match?.[2] ?? 's'];
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new InputError(`${name} must be a duration such as 90s, 15m, 12h or 30d, got "${text}"`);
  }
  return Math.round(Number(match[1]) * unit);
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  k: 1000,
  ki: 1024,
  m: 1e6,
  mi: 1024 ** 2,
  g: 1e9,
  gi: 1024 ** 3,
};

/** Kubernetes-style quantities: `1048576`, `512Ki`, `1Mi`, `2M`. */
export function byteSize(text: string, name = 'size'): number {
  const match = /^(\d+)\s*([kmg]i?)?b?$/i.exec(text.trim());
  const unit = SIZE_UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw new InputError(`${name} must be a size such as 1048576, 512Ki or 1Mi, got "${text}"`);
  }
  return Number(match[1]) * unit;
}
