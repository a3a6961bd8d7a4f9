/**
 * Every setting of `kite operator` given by a flag or an environment variable, declared
 * once (decision 0022, as `SERVE_SETTINGS` for `kite serve`): `kite operator`'s flags
 * (src/cli/main.ts), the variables `resolveOperatorConfig` reads and the defaults all come
 * from this table, and test/unit/settings-docs.test.ts holds docs/operator.md to it.
 * Commander is given no variable names: it would turn any set variable of a boolean flag
 * into `true`, so `KITE_LEADER_ELECT=false` would mean on.
 *
 * A default here is the last resort: where the config file has the same setting, it
 * comes between the environment and the default (flag > variable > file > default).
 */
import type { Setting } from '../config.js';

export const OPERATOR_SETTINGS = {
  apiUrl: { env: 'KITE_API_URL', flag: '--api-url <url>', help: 'the KITE API server (required)' },
  tokenFile: {
    env: 'KITE_TOKEN_FILE',
    flag: '--token-file <file>',
    help: 'bearer token for the API server (default: the pod service-account token)',
  },
  config: {
    env: 'KITE_OPERATOR_CONFIG',
    flag: '--config <file>',
    help: 'operator config (YAML): controllers, namespaces, severity',
  },
  kubeconfig: {
    env: 'KUBECONFIG',
    flag: '--kubeconfig <file>',
    help: 'default: in-cluster, else ~/.kube/config',
  },
  publicUrl: {
    env: 'KITE_PUBLIC_URL',
    flag: '--public-url <url>',
    help: 'the API as users reach it (e.g. the console proxy prefix): links become absolute',
  },
  clusterName: {
    env: 'KITE_CLUSTER_NAME',
    flag: '--cluster-name <name>',
    help: 'label every issue with this cluster name',
  },
  host: {
    env: 'KITE_OPERATOR_HOST',
    default: '0.0.0.0',
    flag: '--host <host>',
    help: 'address of /healthz, /readyz, /metrics',
  },
  port: {
    env: 'KITE_OPERATOR_PORT',
    default: '8081',
    flag: '--port <port>',
    help: 'port of /healthz, /readyz, /metrics',
  },
  leaseNamespace: {
    env: 'KITE_LEASE_NAMESPACE',
    flag: '--lease-namespace <namespace>',
    help: 'namespace of the leader election Lease (default: the pod namespace)',
  },
  leaderElect: {
    env: 'KITE_LEADER_ELECT',
    default: 'true',
    flag: '--no-leader-elect',
    help: 'report without leader election (a single replica)',
  },
  logLevel: {
    env: 'KITE_LOG_LEVEL',
    default: 'info',
    flag: '--log-level <level>',
    help: 'trace, debug, info, warn, error',
  },
  logsUrl: { env: 'KITE_LOGS_URL' },
  mintmakerNamespace: { env: 'KITE_MINTMAKER_NAMESPACE', default: 'mintmaker' },
  resync: { env: 'KITE_RESYNC', default: '10m' },
  leaseRetry: { env: 'KITE_LEASE_RETRY', default: '2s' },
  backoffBase: { env: 'KITE_BACKOFF_BASE', default: '200ms' },
  backoffMax: { env: 'KITE_BACKOFF_MAX', default: '30s' },
  taskBundlesFile: { env: 'KITE_TASK_BUNDLES_FILE' },
  taskBundlesConfigMap: { env: 'KITE_TASK_BUNDLES_CONFIGMAP' },
  taskBundlesRefresh: { env: 'KITE_TASK_BUNDLES_REFRESH', default: '15m' },
  taskMajorWithin: { env: 'KITE_TASK_MAJOR_WITHIN', default: '14d' },
  configMapSubscriptions: { env: 'KITE_CONFIGMAP_SUBSCRIPTIONS', default: 'true' },
} as const satisfies Record<string, Setting>;

export type OperatorSetting = keyof typeof OPERATOR_SETTINGS;

/** What `kite operator` was given on its command line, by setting (booleans as booleans). */
export type OperatorFlags = Partial<Record<OperatorSetting, string | boolean | undefined>>;
