/** Every setting of `kite serve`, as src/config.ts resolves them. */
export interface ServeConfig {
  host: string;
  port: number;
  /** A `postgres://` URL; without it the embedded PostgreSQL (PGlite) in `dataDir` is used. */
  databaseUrl: string | undefined;
  /** Where LISTEN connects when `databaseUrl` is a pooler in transaction mode. */
  databaseListenUrl: string | undefined;
  /** A streaming replica of `databaseUrl` for lists, counts and the overview. */
  databaseReadUrl: string | undefined;
  /** How long after a change its caller's reads skip the replica. */
  readYourWritesMs: number;
  dataDir: string;
  databasePoolSize: number;
  /**
   * How long a group of reports waits for more after its first (0: only while earlier
   * groups commit), and the most reports in one group (docs/decisions/0031-group-commit.md).
   */
  ingestBatchWindowMs: number;
  ingestBatchMax: number;
  /**
   * Whether failure reports get a signature and join root-cause groups, and how long after
   * its last join a group takes new members (docs/root-cause-groups.md).
   */
  rootCauseGroups: boolean;
  rootCauseWindowMs: number;
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
  /** The server's own cluster's name (its issues answer `cluster` with it). */
  clusterName: string;
  /** Member clusters (docs/multi-cluster.md); absent: the server's own cluster only. */
  clustersFile: string | undefined;
  authCacheTtlMs: number;
  authNegativeCacheTtlMs: number;
  authCacheSize: number;
  /** The RBAC attributes that mean "may read / change / report issues" in a namespace. */
  rbacGroup: string;
  rbacResource: string;
  rbacReadVerb: string;
  rbacWriteVerb: string;
  rbacReportVerb: string;
  /** The verb that means "may manage subscriptions, silences and acknowledgements". */
  rbacManageVerb: string;
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
  /** The most characters one MCP tool answer may have (docs/mcp.md). */
  mcpBudget: number;
  /** Whether this replica runs the notification dispatcher (docs/notifications.md). */
  notifications: boolean;
  /** SMTP server of e-mail receivers (`smtp://` or `smtps://`, credentials included). */
  smtpUrl: string | undefined;
  smtpFrom: string;
  /** Where file references of receivers' secrets are read. */
  receiverSecretsDir: string | undefined;
  /** Base URL of the dashboard for links in messages; default: KITE_PUBLIC_URL, else this server's. */
  dashboardUrl: string | undefined;
}
