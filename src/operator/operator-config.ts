/**
 * Every setting of `kite operator`: flags win over environment variables, which win over
 * the config file (`--config`, YAML), which wins over the defaults (flags, variables and
 * defaults declared once in operator-settings.ts). Without a config
 * file every controller runs cluster-wide (the mintmaker controller in its namespace).
 */
import { readFile } from 'node:fs/promises';
import { Type, type Static } from 'typebox';
import { InputError } from '../domain/errors.js';
import { ISSUE_TYPES, SEVERITIES, type Severity } from '../domain/issue.js';
import { StringEnum } from '../domain/string-enum.js';
import { parseYamlDocument } from '../domain/yaml-document.js';
import { duration, publicUrl, type Setting } from '../config.js';
import type { Observation } from './controller.js';
import { CONFIGMAP_SUBSCRIPTIONS } from './subscriptions/config-map.js';
import {
  resolveTaskUpdates,
  TaskUpdatesFile,
  type TaskUpdatesConfig,
} from './task-updates/config.js';
import {
  OPERATOR_SETTINGS,
  type OperatorFlags,
  type OperatorSetting,
} from './operator-settings.js';

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
    /** The task-updates controller (runs when a bundles source is given). */
    taskUpdates: Type.Optional(TaskUpdatesFile),
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
  /** The task-updates controller's settings; undefined: no bundles source, not run. */
  taskUpdates: TaskUpdatesConfig | undefined;
  /** Sync the subscriptions labelled ConfigMaps declare (controller configmap-subscriptions). */
  configMapSubscriptions: boolean;
}

export const DEFAULT_SEVERITY_RULES: SeverityRule[] = [
  { issueType: 'release', severity: 'critical' },
  { eventType: 'pull_request', severity: 'minor' },
  { issueType: 'dependency', severity: 'minor' },
];

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export type { OperatorFlags } from './operator-settings.js';
type Env = Readonly<Record<string, string | undefined>>;

export async function resolveOperatorConfig(
  flags: OperatorFlags,
  env: Env,
  inClusterNamespace: () => Promise<string | undefined> = readInClusterNamespace,
): Promise<OperatorConfig> {
  /** What the command line or the environment says; undefined: neither. */
  const given = (key: OperatorSetting): string | undefined => {
    const flag = flags[key];
    if (typeof flag === 'boolean') return String(flag);
    return flag ?? env[OPERATOR_SETTINGS[key].env];
  };
  /** Given, else the config file's value, else the table's default. */
  const pick = (key: OperatorSetting, fromFile?: string): string | undefined => {
    const setting: Setting = OPERATOR_SETTINGS[key];
    return given(key) ?? fromFile ?? setting.default;
  };
  const text = (key: OperatorSetting, fromFile?: string): string => {
    const value = pick(key, fromFile);
    if (value === undefined) throw new Error(`the setting ${key} has no default`);
    return value;
  };
  const configFile = given('config');
  const file = configFile ? parseOperatorFile(configFile, await readFile(configFile, 'utf8')) : {};
  const apiUrl = pick('apiUrl', file.apiUrl);
  if (!apiUrl) throw new InputError('the API server URL is required: --api-url or KITE_API_URL');
  if (!/^https?:\/\/[^/]+/.test(apiUrl)) {
    throw new InputError(`the API server URL must be http(s)://…, got "${apiUrl}"`);
  }
  const portText = text('port');
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InputError(`the operator port must be 0-65535, got "${portText}"`);
  }
  const election = file.leaderElection ?? {};
  const subscriptionsEnabled = file.controllers?.[CONFIGMAP_SUBSCRIPTIONS]?.enabled;
  // A source given by flag or variable replaces the file's, whichever form that has.
  const taskFile =
    (given('taskBundlesFile') ?? given('taskBundlesConfigMap'))
      ? { ...file.taskUpdates, bundlesFile: undefined, bundlesConfigMap: undefined }
      : file.taskUpdates;
  const leaseNamespace =
    given('leaseNamespace') ??
    election.namespace ??
    env.POD_NAMESPACE ??
    (await inClusterNamespace()) ??
    'default';
  return {
    apiUrl: apiUrl.replace(/\/+$/, ''),
    tokenFile: pick('tokenFile'),
    kubeconfig: pick('kubeconfig') || undefined,
    clusterName: pick('clusterName', file.clusterName),
    logsUrlTemplate: pick('logsUrl', file.logsUrl),
    publicUrl: publicUrl(
      '--public-url / KITE_PUBLIC_URL / publicUrl',
      pick('publicUrl', file.publicUrl),
    ),
    mintmakerNamespace: text('mintmakerNamespace', file.mintmakerNamespace),
    resyncMs: duration('resync', text('resync', file.resync)),
    queueCapacity: file.queue?.capacity ?? 50_000,
    concurrency: file.queue?.concurrency ?? 8,
    leaderElection: boolean(
      'leaderElect',
      text('leaderElect', election.enabled === undefined ? undefined : String(election.enabled)),
    ),
    leaseNamespace,
    leaseName: election.leaseName ?? 'kite-operator',
    leaseDurationSeconds: election.leaseDurationSeconds ?? 15,
    leaseRetryMs: duration('lease retry', text('leaseRetry')),
    host: text('host'),
    port,
    logLevel: text('logLevel'),
    controllers: file.controllers ?? {},
    severity: file.severity ?? DEFAULT_SEVERITY_RULES,
    backoffBaseMs: duration('backoff base', text('backoffBase')),
    backoffMaxMs: duration('backoff max', text('backoffMax')),
    taskUpdates: resolveTaskUpdates(
      {
        bundlesFile: pick('taskBundlesFile', taskFile?.bundlesFile),
        bundlesConfigMap: pick('taskBundlesConfigMap', taskFile?.bundlesConfigMap),
        refresh: text('taskBundlesRefresh', taskFile?.refresh),
        majorWithin: text('taskMajorWithin', taskFile?.majorWithin),
      },
      taskFile,
    ),
    configMapSubscriptions: boolean(
      'configMapSubscriptions',
      text(
        'configMapSubscriptions',
        subscriptionsEnabled === undefined ? undefined : String(subscriptionsEnabled),
      ),
    ),
  };
}

/** `true` or `false` only: a typo must not silently mean on or off. */
function boolean(key: OperatorSetting, value: string): boolean {
  if (value === 'true' || value === 'false') return value === 'true';
  throw new InputError(`${OPERATOR_SETTINGS[key].env} must be true or false, got "${value}"`);
}

export function parseOperatorFile(source: string, text: string): OperatorFile {
  return parseYamlDocument(source, text, OperatorFile, { what: 'operator config', empty: {} });
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
