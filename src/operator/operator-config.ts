/**
 * Every setting of `kite operator`: flags win over environment variables, which win over
 * the config file (`--config`, YAML), which wins over the defaults below. Without a config
 * file every controller runs cluster-wide (the mintmaker controller in its namespace).
 */
import { readFile } from 'node:fs/promises';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../domain/errors.js';
import { ISSUE_TYPES, SEVERITIES, type Severity } from '../domain/issue.js';
import { StringEnum } from '../domain/string-enum.js';
import { duration, publicUrl } from '../config.js';
import type { Observation } from './controller.js';

const ControllerConfig = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    /** Watch only these namespaces; empty or absent: the controller's default. */
    namespaces: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** A Kubernetes label selector applied to the watch. */
    labelSelector: Type.Optional(Type.String()),
    /** Link template for this controller's objects (see `logsUrl`). */
    logsUrl: Type.Optional(Type.String()),
    /** MintMaker: upload the step logs of completed runs to the server (default true). */
    archiveLogs: Type.Optional(Type.Boolean()),
    /**
     * pipelineruns: also report the release service's managed pipeline runs in their own
     * (managed) namespace, for the release team (default false: only the tenant's
     * Release is reported).
     */
    releaseTeamIssues: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const SeverityRule = Type.Object(
  {
    issueType: Type.Optional(StringEnum(ISSUE_TYPES)),
    eventType: Type.Optional(Type.String()),
    namespace: Type.Optional(Type.String()),
    severity: StringEnum(SEVERITIES),
  },
  { additionalProperties: false },
);

export const OperatorFile = Type.Object(
  {
    apiUrl: Type.Optional(Type.String()),
    clusterName: Type.Optional(Type.String()),
    /**
     * Link to a PipelineRun's page (used by the pipelineruns controller): {namespace},
     * {name}, {uid}, {component} and {application} are replaced.
     */
    logsUrl: Type.Optional(Type.String()),
    /**
     * The API's base URL as users reach it (e.g. the console proxy's prefix): the
     * server-relative links the operator creates become absolute under it.
     */
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^/?#]+[^?#]*$' })),
    mintmakerNamespace: Type.Optional(Type.String({ minLength: 1 })),
    resync: Type.Optional(Type.String()),
    queue: Type.Optional(
      Type.Object(
        {
          capacity: Type.Optional(Type.Integer({ minimum: 1 })),
          concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
        },
        { additionalProperties: false },
      ),
    ),
    leaderElection: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean()),
          namespace: Type.Optional(Type.String({ minLength: 1 })),
          leaseName: Type.Optional(Type.String({ minLength: 1 })),
          leaseDurationSeconds: Type.Optional(Type.Integer({ minimum: 2 })),
        },
        { additionalProperties: false },
      ),
    ),
    controllers: Type.Optional(Type.Record(Type.String(), ControllerConfig)),
    /** First matching rule wins; without a match: major. */
    severity: Type.Optional(Type.Array(SeverityRule)),
  },
  { additionalProperties: false },
);
export type OperatorFile = Static<typeof OperatorFile>;
export type SeverityRule = Static<typeof SeverityRule>;

export interface OperatorConfig {
  apiUrl: string;
  tokenFile: string | undefined;
  kubeconfig: string | undefined;
  clusterName: string | undefined;
  logsUrlTemplate: string | undefined;
  /** Base URL that makes relative links absolute (`--public-url`, `KITE_PUBLIC_URL`, `publicUrl`). */
  publicUrl: string | undefined;
  mintmakerNamespace: string;
  resyncMs: number;
  queueCapacity: number;
  concurrency: number;
  leaderElection: boolean;
  leaseNamespace: string;
  leaseName: string;
  leaseDurationSeconds: number;
  /** How often a leader renews and a candidate retries. */
  leaseRetryMs: number;
  host: string;
  port: number;
  logLevel: string;
  controllers: Record<string, Static<typeof ControllerConfig>>;
  severity: SeverityRule[];
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_SEVERITY_RULES: SeverityRule[] = [
  { issueType: 'release', severity: 'critical' },
  { eventType: 'pull_request', severity: 'minor' },
  { issueType: 'dependency', severity: 'minor' },
];

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface OperatorFlags {
  apiUrl?: string;
  tokenFile?: string;
  config?: string;
  kubeconfig?: string;
  clusterName?: string;
  host?: string;
  port?: string;
  logLevel?: string;
  leaderElect?: boolean;
  leaseNamespace?: string;
  publicUrl?: string;
}
type Env = Readonly<Record<string, string | undefined>>;

export async function resolveOperatorConfig(
  flags: OperatorFlags,
  env: Env,
  inClusterNamespace: () => Promise<string | undefined> = readInClusterNamespace,
): Promise<OperatorConfig> {
  const configFile = flags.config ?? env.KITE_OPERATOR_CONFIG;
  const file = configFile ? parseOperatorFile(configFile, await readFile(configFile, 'utf8')) : {};
  const apiUrl = flags.apiUrl ?? env.KITE_API_URL ?? file.apiUrl;
  if (!apiUrl) throw new InputError('the API server URL is required: --api-url or KITE_API_URL');
  if (!/^https?:\/\/[^/]+/.test(apiUrl)) {
    throw new InputError(`the API server URL must be http(s)://…, got "${apiUrl}"`);
  }
  const port = Number(flags.port ?? env.KITE_OPERATOR_PORT ?? '8081');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InputError(
      `the operator port must be 0-65535, got "${flags.port ?? env.KITE_OPERATOR_PORT}"`,
    );
  }
  const election = file.leaderElection ?? {};
  const leaseNamespace =
    flags.leaseNamespace ??
    env.KITE_LEASE_NAMESPACE ??
    election.namespace ??
    env.POD_NAMESPACE ??
    (await inClusterNamespace()) ??
    'default';
  return {
    apiUrl: apiUrl.replace(/\/+$/, ''),
    tokenFile: flags.tokenFile ?? env.KITE_TOKEN_FILE,
    kubeconfig: flags.kubeconfig ?? env.KUBECONFIG,
    clusterName: flags.clusterName ?? env.KITE_CLUSTER_NAME ?? file.clusterName,
    logsUrlTemplate: env.KITE_LOGS_URL ?? file.logsUrl,
    publicUrl: publicUrl(
      '--public-url / KITE_PUBLIC_URL / publicUrl',
      flags.publicUrl ?? env.KITE_PUBLIC_URL ?? file.publicUrl,
    ),
    mintmakerNamespace: env.KITE_MINTMAKER_NAMESPACE ?? file.mintmakerNamespace ?? 'mintmaker',
    resyncMs: duration('resync', env.KITE_RESYNC ?? file.resync ?? '10m'),
    queueCapacity: file.queue?.capacity ?? 50_000,
    concurrency: file.queue?.concurrency ?? 8,
    leaderElection: flags.leaderElect ?? election.enabled ?? true,
    leaseNamespace,
    leaseName: election.leaseName ?? 'kite-operator',
    leaseDurationSeconds: election.leaseDurationSeconds ?? 15,
    leaseRetryMs: duration('lease retry', env.KITE_LEASE_RETRY ?? '2s'),
    host: flags.host ?? env.KITE_OPERATOR_HOST ?? '0.0.0.0',
    port,
    logLevel: flags.logLevel ?? env.KITE_LOG_LEVEL ?? 'info',
    controllers: file.controllers ?? {},
    severity: file.severity ?? DEFAULT_SEVERITY_RULES,
    backoffBaseMs: duration('backoff base', env.KITE_BACKOFF_BASE ?? '200ms'),
    backoffMaxMs: duration('backoff max', env.KITE_BACKOFF_MAX ?? '30s'),
  };
}

export function parseOperatorFile(source: string, text: string): OperatorFile {
  let document: unknown;
  try {
    document = parseYaml(text) ?? {};
  } catch (error) {
    throw new InputError(`${source}: not valid YAML: ${(error as Error).message}`);
  }
  const errors = [...Value.Errors(OperatorFile, document)];
  if (errors.length > 0) {
    const problems = errors.slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new InputError(`${source}: invalid operator config: ${problems.join('; ')}`);
  }
  return document as OperatorFile;
}

/** The first matching rule's severity; major when none matches. */
export function severityOf(rules: readonly SeverityRule[], observation: Observation): Severity {
  const rule = rules.find(
    (r) =>
      (r.issueType === undefined || r.issueType === observation.issueType) &&
      (r.eventType === undefined || r.eventType === observation.eventType) &&
      (r.namespace === undefined || r.namespace === observation.namespace),
  );
  return rule?.severity ?? 'major';
}

async function readInClusterNamespace(): Promise<string | undefined> {
  try {
    return (await readFile(`${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}
