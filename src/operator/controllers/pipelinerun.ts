/**
 * Tekton PipelineRuns (`tekton.dev/v1`): every completed run of a build, an integration
 * test, a release pipeline or any other pipeline is a failure or a success of the
 * component (else application, else pipeline) it ran for. The failure reason comes from
 * the run's condition, the failed TaskRuns (each failed task named), or is "unknown";
 * runs that never started (validation failed, pipeline or task not found, …) are
 * failures with their reason. MintMaker's runs are left to the mintmaker controller.
 */
import type { IssueType } from '../../domain/issue.js';
import {
  conditionOf,
  labelOf,
  PIPELINE_RUNS,
  runLink,
  stringAt,
  TASK_RUNS,
  type Controller,
  type KubeObject,
  type ObserveContext,
  type Observation,
  type RunScope,
} from '../controller.js';
import { MINTMAKER_LABELS } from '../../domain/mintmaker.js';
import { KONFLUX, TEKTON } from '../run-labels.js';

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
    const completed = completion(run);
    if (!completed) return undefined;
    const issueType = issueTypeOf(run);
    const [scopeType, scopeName] = scopeOf(run);
    const eventType = eventTypeOf(run);
    const scenario = labelOf(run, KONFLUX.scenario);
    const labels: Record<string, string> = {};
    for (const key of [KONFLUX.component, KONFLUX.application, KONFLUX.scenario]) {
      const value = labelOf(run, key);
      if (value) labels[key] = value;
    }
    if (eventType) labels[KONFLUX.eventType] = eventType;
    const logsUrl = runLink(context.settings.logsUrlTemplate, run);
    const base = {
      namespace: run.metadata.namespace,
      issueType,
      scopeType,
      scopeName,
      ...(issueType === 'test' && scenario ? { variant: scenario } : {}),
      runId: run.metadata.uid ?? `${run.metadata.namespace}/${run.metadata.name}`,
      completedAt: completed.at,
      ...(logsUrl ? { logsUrl } : {}),
      ...(eventType ? { eventType } : {}),
      labels,
    };
    if (completed.succeeded) {
      return { ...base, outcome: 'success', title: '', reason: '' } satisfies Observation;
    }
    const failure = failureOf(run, context);
    return {
      ...base,
      outcome: 'failure',
      title: titleOf(issueType, scopeType, scopeName, scenario, failure.tasks, run),
      reason: failure.reason,
      ...(failure.incomplete ? { incomplete: true } : {}),
    } satisfies Observation;
  },
};

/** Completed runs only: the `Succeeded` condition is True or False. */
export function completion(run: KubeObject): { succeeded: boolean; at: string } | undefined {
  const succeeded = conditionOf(run, 'Succeeded');
  if (succeeded?.status !== 'True' && succeeded?.status !== 'False') return undefined;
  const at =
    stringAt(run.status, 'completionTime') ??
    succeeded.lastTransitionTime ??
    (run.metadata.creationTimestamp ? new Date(run.metadata.creationTimestamp).toISOString() : '');
  return { succeeded: succeeded.status === 'True', at: at || new Date(0).toISOString() };
}

function issueTypeOf(run: KubeObject): IssueType {
  const type = labelOf(run, KONFLUX.pipelineType);
  if (type === 'build') return 'build';
  if (type === 'test') return 'test';
  if ((type && RELEASE_TYPES.has(type)) || labelOf(run, KONFLUX.releaseName)) return 'release';
  return 'pipeline';
}

/** The component, else the application, else the pipeline: never the run's own name. */
function scopeOf(run: KubeObject): [RunScope, string] {
  const component = labelOf(run, KONFLUX.component);
  if (component) return ['component', component];
  const application = labelOf(run, KONFLUX.application);
  if (application) return ['application', application];
  return ['pipeline', pipelineNameOf(run)];
}

export function pipelineNameOf(run: KubeObject): string {
  const ref = run.spec?.pipelineRef as Record<string, unknown> | undefined;
  return (
    labelOf(run, KONFLUX.originalRunName) ??
    stringAt(ref, 'name') ??
    labelOf(run, TEKTON.pipeline) ??
    run.metadata.generateName?.replace(/-+$/, '') ??
    run.metadata.name
  );
}

function eventTypeOf(run: KubeObject): string | undefined {
  const raw = labelOf(run, KONFLUX.eventType);
  if (!raw) return undefined;
  const value = raw.toLowerCase();
  if (value === 'pull_request' || value === 'merge_request' || value === 'merge-request') {
    return 'pull_request';
  }
  return value;
}

/**
 * Reasons Tekton gives a run that failed before any task ran: the pipeline never
 * started. Tekton reports them on the `Succeeded` condition.
 */
const NEVER_STARTED = new Set([
  'PipelineValidationFailed',
  'CouldntGetPipeline',
  'CouldntGetTask',
  'CouldntGetPipelineResult',
  'CreateRunFailed',
  'PipelineInvalidGraph',
  'ParameterMissing',
  'ParameterTypeMismatch',
  'ObjectParameterMissKeys',
  'InvalidWorkspaceBinding',
  'InvalidServiceAccountMapping',
  'InvalidTaskResultReference',
  'InvalidTaskRunSpecs',
  'InvalidPipelineResultReference',
  'RequiredWorkspaceMarkedOptional',
  'ResourceVerificationFailed',
  'PipelineRunPending',
]);

export interface Failure {
  reason: string;
  /** The failed pipeline tasks, named. */
  tasks: string[];
  /** A TaskRun the run refers to is not cached yet (its watch event is still on the way). */
  incomplete: boolean;
}

/** Why a completed run failed, naming each failed task (shared with the mintmaker controller). */
export function failureOf(run: KubeObject, context: ObserveContext): Failure {
  const condition = conditionOf(run, 'Succeeded');
  const reason = condition?.reason ?? '';
  const message = condition?.message?.trim() ?? '';
  const children = Array.isArray(run.status?.childReferences) ? run.status.childReferences : [];
  const taskRuns = context
    .details(TASK_RUNS, run.metadata.namespace)
    .filter((taskRun) => labelOf(taskRun, TEKTON.pipelineRun) === run.metadata.name);
  const failedTasks = taskRuns
    .filter((taskRun) => conditionOf(taskRun, 'Succeeded')?.status === 'False')
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const cached = new Set(taskRuns.map((taskRun) => taskRun.metadata.name));
  const incomplete = children.some(
    (child) =>
      typeof child === 'object' &&
      child !== null &&
      (child as { kind?: unknown }).kind === 'TaskRun' &&
      !cached.has(String((child as { name?: unknown }).name)),
  );
  if (
    failedTasks.length === 0 &&
    children.length === 0 &&
    (NEVER_STARTED.has(reason) || !stringAt(run.status, 'startTime') || reason.endsWith('Timeout'))
  ) {
    const why = [reason, message].filter(Boolean).join(': ') || 'no reason given';
    return { reason: `The pipeline never started: ${why}`, tasks: [], incomplete: false };
  }
  const tasks = failedTasks.map(
    (taskRun) => labelOf(taskRun, TEKTON.pipelineTask) ?? taskRun.metadata.name,
  );
  const lines: string[] = [];
  if (message) lines.push(message);
  failedTasks.forEach((taskRun, index) => {
    const taskCondition = conditionOf(taskRun, 'Succeeded');
    const detail = [taskCondition?.reason, taskCondition?.message?.trim()]
      .filter(Boolean)
      .join(': ');
    lines.push(
      `Task ${tasks[index] ?? taskRun.metadata.name} failed (TaskRun ${taskRun.metadata.name})${detail ? `: ${detail}` : ''}`,
    );
  });
  if (lines.length === 0)
    lines.push(
      reason ? `${reason} (no message)` : 'unknown: the run failed without a reason or message',
    );
  return { reason: lines.join('\n'), tasks, incomplete };
}

function titleOf(
  issueType: IssueType,
  scopeType: RunScope,
  scopeName: string,
  scenario: string | undefined,
  tasks: string[],
  run: KubeObject,
): string {
  const where = `${scopeType} ${scopeName}`;
  const what =
    issueType === 'build'
      ? `Build failed for ${where}`
      : issueType === 'test'
        ? `Integration test ${scenario ?? pipelineNameOf(run)} failed for ${where}`
        : issueType === 'release'
          ? `Release pipeline failed for ${where}`
          : scopeType === 'pipeline'
            ? `Pipeline ${scopeName} failed`
            : `Pipeline ${pipelineNameOf(run)} failed for ${where}`;
  return tasks.length > 0 ? `${what}: task ${tasks.join(', ')}` : what;
}
