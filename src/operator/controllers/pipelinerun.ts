/**
 * Tekton PipelineRuns (`tekton.dev/v1`): every completed run of a build, an integration
 * test or any other pipeline is a failure or a success of the thing it ran for, scoped
 * the way Konflux runs things (docs/operator.md, "Scopes"):
 *
 * - push runs: the component (else the application, else the pipeline);
 * - pull request runs: that component *and pull request* (`pull-request` scope), so a
 *   contributor's pull request never opens, nor resolves, the component's push issue;
 * - integration tests: the component (and pull request) per event type, each scenario
 *   judged separately (a variant): the issue names every scenario that currently fails.
 *
 * Cancelled or stopped runs are neither failures nor successes. A release-service
 * pipeline run (labelled with its Release's namespace and name) is the Release's: the
 * releases controller reports it, in the tenant namespace, once. MintMaker's runs are
 * left to the mintmaker controller.
 */
import type { IssueType } from '../../domain/issue.js';
import {
  labelOf,
  PIPELINE_RUNS,
  runLink,
  stringAt,
  TASK_RUNS,
  type Controller,
  type KubeObject,
  type Observation,
  type RunScope,
} from '../controller.js';
import { MINTMAKER_LABELS } from '../../domain/mintmaker.js';
import { KONFLUX, RELEASE, TEKTON } from '../run-labels.js';
import { cancellationOf, completion, failureOf } from './run-failure.js';

export { cancellationOf, completion, failureOf, type Failure } from './run-failure.js';

/** Release service pipeline types (the release pipelines of a Release). */
const RELEASE_TYPES = new Set([
  'release',
  'managed',
  'tenant',
  'final',
  'managed-collectors',
  'tenant-collectors',
]);

export const pipelineRunController: Controller = {
  name: 'pipelineruns',
  watches: PIPELINE_RUNS,
  details: [TASK_RUNS],
  pipelineRunLinks: true,
  observe(run, context) {
    if (labelOf(run, MINTMAKER_LABELS.component) !== undefined) return undefined;
    const release = releasePipelineOf(run);
    const forReleaseTeam =
      release !== undefined &&
      context.settings.releaseTeamIssues === true &&
      release.namespace !== run.metadata.namespace;
    if (release && !forReleaseTeam) return undefined;
    const completed = completion(run);
    if (!completed) return undefined;
    const issueType = forReleaseTeam ? 'release' : issueTypeOf(run);
    const scope = release && forReleaseTeam ? releaseTeamScopeOf(run, release) : scopeOf(run);
    const eventType = eventTypeOf(run);
    const scenario = labelOf(run, KONFLUX.scenario);
    const labels: Record<string, string> = {};
    for (const key of [KONFLUX.component, KONFLUX.application, KONFLUX.scenario]) {
      const value = labelOf(run, key);
      if (value) labels[key] = value;
    }
    if (eventType) labels[KONFLUX.eventType] = eventType;
    if (scope.pullRequest) labels[KONFLUX.pullRequest] = scope.pullRequest;
    const logsUrl = runLink(context.settings.logsUrlTemplate, run);
    const variant = issueType === 'test' && scenario ? scenario : undefined;
    const base = {
      namespace: run.metadata.namespace,
      issueType,
      scopeType: scope.type,
      scopeName: scope.name,
      ...(variant ? { variant } : {}),
      runId: run.metadata.uid ?? `${run.metadata.namespace}/${run.metadata.name}`,
      completedAt: completed.at,
      ...(logsUrl ? { logsUrl } : {}),
      ...(eventType ? { eventType } : {}),
      labels,
    };
    const cancelled = cancellationOf(run);
    if (cancelled) {
      return { ...base, outcome: 'cancelled', title: '', reason: cancelled } satisfies Observation;
    }
    if (completed.succeeded) {
      return { ...base, outcome: 'success', title: '', reason: '' } satisfies Observation;
    }
    const failure = failureOf(run, context);
    const tasks = failure.tasks.length > 0 ? `task ${failure.tasks.join(', ')}` : '';
    const what = whatFailed(issueType, scope, scenario, run);
    return {
      ...base,
      outcome: 'failure',
      title: tasks ? `${what}: ${tasks}` : what,
      reason: failure.reason,
      ...(variant
        ? {
            variantTitle: tasks ? `${variant} (${tasks})` : variant,
            variantsTitle: `Integration tests failed for ${scope.where}`,
          }
        : {}),
      ...(failure.incomplete ? { incomplete: true } : {}),
    } satisfies Observation;
  },
};

/**
 * For the release team: a managed release pipeline run, in the managed namespace, scoped
 * to the tenant namespace and pipeline it ran (a success of the same pipeline for the
 * same tenant resolves it, never another tenant's).
 */
function releaseTeamScopeOf(run: KubeObject, release: { namespace: string; name: string }): Scope {
  const pipeline = pipelineNameOf(run);
  return {
    type: 'pipeline',
    name: `${release.namespace}/${pipeline}`,
    where: `tenant ${release.namespace} (Release ${release.name})`,
  };
}

/** The Release a release-service pipeline run belongs to, from the labels it sets. */
export function releasePipelineOf(
  run: KubeObject,
): { namespace: string; name: string } | undefined {
  const namespace = labelOf(run, RELEASE.namespace);
  const name = labelOf(run, RELEASE.name);
  return namespace && name ? { namespace, name } : undefined;
}

function issueTypeOf(run: KubeObject): IssueType {
  const type = labelOf(run, KONFLUX.pipelineType);
  if (type === 'build') return 'build';
  if (type === 'test') return 'test';
  if (type && RELEASE_TYPES.has(type)) return 'release';
  return 'pipeline';
}

export interface Scope {
  type: RunScope;
  name: string;
  /** The pull request number, for runs of a pull request that has one. */
  pullRequest?: string;
  /** How the scope reads in a title: `component devfile-sample, pull request #42`. */
  where: string;
}

/**
 * The component, else the application, else the pipeline: never the run's own name. A
 * pull request run is scoped to that pull request of it (`<name>#<number>`): only a later
 * run of the same pull request resolves its failure, and retention ages it out when the
 * pull request never comes back.
 */
export function scopeOf(run: KubeObject): Scope {
  const component = labelOf(run, KONFLUX.component);
  const application = labelOf(run, KONFLUX.application);
  const [type, name]: [RunScope, string] = component
    ? ['component', component]
    : application
      ? ['application', application]
      : ['pipeline', pipelineNameOf(run)];
  if (eventTypeOf(run) !== 'pull_request') return { type, name, where: `${type} ${name}` };
  const number = pullRequestNumberOf(run);
  return {
    type: 'pull-request',
    name: number ? `${name}#${number}` : name,
    ...(number ? { pullRequest: number } : {}),
    where: `${type} ${name}, pull request${number ? ` #${number}` : ''}`,
  };
}

export function pipelineNameOf(run: KubeObject): string {
  const ref = run.spec?.pipelineRef as Record<string, unknown> | undefined;
  return (
    labelOf(run, KONFLUX.originalRunName) ??
    stringAt(ref, 'name') ??
    resolvedPipelineName(ref) ??
    labelOf(run, TEKTON.pipeline) ??
    run.metadata.generateName?.replace(/-+$/, '') ??
    run.metadata.name
  );
}

/**
 * A pipeline resolved from git or a bundle (the release service's managed pipelines,
 * integration test pipelines): the file's or the bundle entry's name.
 */
function resolvedPipelineName(ref: Record<string, unknown> | undefined): string | undefined {
  const params = Array.isArray(ref?.params) ? (ref.params as unknown[]) : [];
  for (const param of params) {
    if (typeof param !== 'object' || param === null) continue;
    const { name, value } = param as { name?: unknown; value?: unknown };
    if (typeof value !== 'string' || value === '') continue;
    if (name === 'pathInRepo') return value.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
    if (name === 'name' && ref?.resolver === 'bundles') return value;
  }
  return undefined;
}

function pullRequestNumberOf(run: KubeObject): string | undefined {
  return labelOf(run, KONFLUX.pullRequest) ?? labelOf(run, KONFLUX.testPullRequest);
}

/**
 * The event that started the run, normalised to `push` or `pull_request` where it is one
 * of those: build runs carry Pipelines as Code's label, integration test runs the
 * integration service's copy of it. A run of a pull request started by a comment
 * (`/retest`: `retest-comment`, `on-comment`, …) is a pull request run.
 */
export function eventTypeOf(run: KubeObject): string | undefined {
  const raw = labelOf(run, KONFLUX.eventType) ?? labelOf(run, KONFLUX.testEventType);
  const value = raw?.toLowerCase().replace(/[\s-]+/g, '_');
  if (value === 'pull_request' || value === 'merge_request') return 'pull_request';
  if (value !== 'push' && pullRequestNumberOf(run)) return 'pull_request';
  return value;
}

function whatFailed(
  issueType: IssueType,
  scope: Scope,
  scenario: string | undefined,
  run: KubeObject,
): string {
  if (issueType === 'build') return `Build failed for ${scope.where}`;
  if (issueType === 'test') {
    return `Integration test ${scenario ?? pipelineNameOf(run)} failed for ${scope.where}`;
  }
  if (issueType === 'release') {
    return `Release pipeline ${pipelineNameOf(run)} failed for ${scope.where}`;
  }
  if (scope.type === 'pipeline') return `Pipeline ${scope.name} failed`;
  return `Pipeline ${pipelineNameOf(run)} failed for ${scope.where}`;
}
