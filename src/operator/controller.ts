/**
 * The small interface every controller implements. A controller names the kind of object
 * it watches and turns one object into an observation (a failure or a success of
 * something a person recognises) or nothing. Everything else — informers, ordering,
 * delivery, retries, leader election — is shared (operator.ts). A new controller is one
 * file implementing this, plus one line in controllers/index.ts.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { IssueType } from '../domain/issue.js';
import type { RUN_SCOPES } from '../domain/builtin-webhooks.js';
import { KONFLUX } from './run-labels.js';

/** A kind of Kubernetes object, as the API addresses it. */
export interface ResourceKind {
  group: string; // '' for the core group
  version: string;
  plural: string;
  kind: string;
}

export type KubeObject = KubernetesObject & {
  metadata: NonNullable<KubernetesObject['metadata']> & { name: string; namespace: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

export type RunScope = (typeof RUN_SCOPES)[number];

/**
 * What one completed run tells: a failure or a success of one scope. A cancelled run
 * (someone or something stopped it: a user, Pipelines as Code superseding a pull request
 * run) tells nothing about the scope: it is counted and logged, never reported.
 */
export interface Observation {
  outcome: 'failure' | 'success' | 'cancelled';
  /** The namespace the issue belongs to (for MintMaker runs: the component's). */
  namespace: string;
  issueType: IssueType;
  scopeType: RunScope;
  scopeName: string;
  /**
   * Runs of one scope that are judged separately (integration test scenarios of one
   * component): the scope is failing while the latest run of any variant failed.
   */
  variant?: string;
  /**
   * For a failure of a variant: how the variant's failure reads in a list of them (the
   * scenario and its failed tasks). The issue's title and description then name every
   * variant that currently fails, not just the latest (see ../requests.ts).
   */
  variantTitle?: string;
  /** The title of an issue that lists several failing variants, before the list. */
  variantsTitle?: string;
  /** Unique per run (its uid): a run reported twice is counted once by the server. */
  runId: string;
  /** When the run completed: the most recent completed run of a scope decides. */
  completedAt: string;
  /**
   * When the run started (MintMaker runs): the server resolves the pipeline's MintMaker
   * issues that were not reported since (docs/decisions/0013).
   */
  runStartedAt?: string;
  title: string;
  reason: string;
  logsUrl?: string;
  /** Facts the severity rules can match on (e.g. the event type: push or pull_request). */
  eventType?: string;
  labels: Record<string, string>;
  /**
   * Details the run refers to are not cached yet (a TaskRun's watch event is still on
   * its way): delivery waits a little for them before reporting what it has.
   */
  incomplete?: boolean;
}

/** What a controller may read besides the object itself. */
export interface ObserveContext {
  /** Cached objects of a detail kind the controller declared, in one namespace. */
  details(kind: ResourceKind, namespace: string): readonly KubeObject[];
  settings: ControllerSettings;
}

export interface ControllerSettings {
  /**
   * Link template for a run's logs: {namespace}, {name}, {uid}, {component} and
   * {application} are replaced.
   */
  logsUrlTemplate: string | undefined;
  /** Where MintMaker runs its PipelineRuns; only there is its namespace label trusted. */
  mintmakerNamespace: string;
  /**
   * Report release pipeline runs that ran outside their Release's namespace in their own
   * namespace too (`controllers.pipelineruns.releaseTeamIssues`).
   */
  releaseTeamIssues?: boolean;
}

export interface Controller {
  /** Its name in the config file (`controllers.<name>`) and in metrics. */
  readonly name: string;
  readonly watches: ResourceKind;
  /** Other kinds cached (and synced before the first observation) for `details`. */
  readonly details?: readonly ResourceKind[];
  /**
   * The operator-wide `logsUrl` (a PipelineRun page) applies to this controller's
   * objects; other controllers link only with their own `controllers.<name>.logsUrl`.
   */
  readonly pipelineRunLinks?: boolean;
  /** Its completed runs are MintMaker runs whose step logs the operator archives. */
  readonly archivesLogs?: boolean;
  /** Namespaces watched when the config names none; absent: cluster-wide. */
  defaultNamespaces?(settings: ControllerSettings): string[];
  observe(object: KubeObject, context: ObserveContext): Observation | undefined;
}

export const PIPELINE_RUNS: ResourceKind = {
  group: 'tekton.dev',
  version: 'v1',
  plural: 'pipelineruns',
  kind: 'PipelineRun',
};
export const TASK_RUNS: ResourceKind = {
  group: 'tekton.dev',
  version: 'v1',
  plural: 'taskruns',
  kind: 'TaskRun',
};
export const RELEASES: ResourceKind = {
  group: 'appstudio.redhat.com',
  version: 'v1alpha1',
  plural: 'releases',
  kind: 'Release',
};

export const RELEASE_PLANS: ResourceKind = {
  group: 'appstudio.redhat.com',
  version: 'v1alpha1',
  plural: 'releaseplans',
  kind: 'ReleasePlan',
};

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export function conditionOf(object: KubeObject, type: string): Condition | undefined {
  const conditions = object.status?.conditions;
  if (!Array.isArray(conditions)) return undefined;
  return (conditions as Condition[]).find((c) => c?.type === type);
}

export function labelOf(object: KubeObject, key: string): string | undefined {
  const value = object.metadata.labels?.[key];
  return value === undefined || value === '' ? undefined : value;
}

export function stringAt(record: Record<string, unknown> | undefined, key: string) {
  const value = record?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Fills a link template; undefined when there is no template, or when a placeholder the
 * template uses has no value: no link is better than a broken one
 * (`…/applications//releases`). `known` supplies values the object's labels lack (a
 * Release's application, resolved from its ReleasePlan).
 */
export function runLink(
  template: string | undefined,
  object: KubeObject,
  known: { component?: string; application?: string } = {},
): string | undefined {
  if (!template) return undefined;
  const values: Record<string, string | undefined> = {
    namespace: object.metadata.namespace,
    name: object.metadata.name,
    uid: object.metadata.uid,
    component: known.component ?? labelOf(object, KONFLUX.component),
    application: known.application ?? labelOf(object, KONFLUX.application),
  };
  let complete = true;
  const link = template.replace(
    /\{(namespace|name|uid|component|application)\}/g,
    (_, key: string) => {
      const value = values[key];
      if (!value) complete = false;
      return encodeURIComponent(value ?? '');
    },
  );
  return complete ? link : undefined;
}
