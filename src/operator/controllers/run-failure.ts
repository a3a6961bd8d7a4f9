/**
 * What a finished Tekton PipelineRun says: whether it completed, was cancelled, or
 * failed and why (each failed task named). Shared by the controllers that watch
 * PipelineRuns. The reasons are Tekton's own (`pkg/apis/pipeline/v1/pipelinerun_types.go`).
 */
import {
  conditionOf,
  labelOf,
  stringAt,
  TASK_RUNS,
  type KubeObject,
  type ObserveContext,
} from '../controller.js';
import { TEKTON } from '../run-labels.js';

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

/**
 * The reasons Tekton gives a run that was cancelled or stopped, finished or on its way
 * (`PipelineRunCancelled` is the reason of older Tekton releases).
 */
export const CANCELLED_REASONS: ReadonlySet<string> = new Set([
  'Cancelled',
  'PipelineRunCancelled',
  'CancelledRunningFinally',
  'StoppedRunningFinally',
  'PipelineRunStopping',
]);

/**
 * What `spec.status` is set to when someone (a user, Pipelines as Code cancelling the
 * run of a superseded pull request commit) asks Tekton to cancel or stop a run.
 */
export const CANCEL_REQUESTS: ReadonlySet<string> = new Set([
  'Cancelled',
  'CancelledRunFinally',
  'StoppedRunFinally',
  'PipelineRunCancelled',
]);

/**
 * Why a finished run counts as cancelled (the reason or the request), else undefined. A
 * run that was asked to stop says nothing about the code, even when a task it was
 * running failed on the way out.
 */
export function cancellationOf(run: KubeObject): string | undefined {
  const condition = conditionOf(run, 'Succeeded');
  if (condition?.status !== 'False') return undefined;
  if (condition.reason && CANCELLED_REASONS.has(condition.reason)) return condition.reason;
  const requested = stringAt(run.spec, 'status');
  return requested && CANCEL_REQUESTS.has(requested) ? requested : undefined;
}

/**
 * Reasons Tekton gives a run that failed before any task ran: the pipeline never
 * started. Tekton reports them on the `Succeeded` condition.
 */
export const NEVER_STARTED: ReadonlySet<string> = new Set([
  'PipelineValidationFailed',
  'CouldntGetPipeline',
  'CouldntGetTask',
  'CouldntGetPipelineResult',
  'CreateRunFailed',
  'PipelineInvalidGraph',
  'ParameterMissing',
  'ParameterTypeMismatch',
  'ObjectParameterMissKeys',
  'ParamArrayIndexingInvalid',
  'InvalidParamValue',
  'InvalidMatrixParameterTypes',
  'InvalidWorkspaceBindings',
  'InvalidWorkspaceBinding',
  'InvalidServiceAccountMapping',
  'InvalidTaskResultReference',
  'InvalidTaskRunSpecs',
  'InvalidPipelineResultReference',
  'InvalidPipelineResourceBindings',
  'RequiredWorkspaceMarkedOptional',
  'ResourceVerificationFailed',
  'CELEvaluationFailed',
  'PipelineRunPending',
]);

export interface Failure {
  reason: string;
  /** The failed pipeline tasks, named. */
  tasks: string[];
  /** A TaskRun the run refers to is not cached yet (its watch event is still on the way). */
  incomplete: boolean;
}

interface FailedTask {
  task: string;
  taskRun: string;
  detail: string;
}

/** Why a completed run failed, naming each failed task. */
export function failureOf(run: KubeObject, context: ObserveContext): Failure {
  const condition = conditionOf(run, 'Succeeded');
  const reason = condition?.reason ?? '';
  const message = condition?.message?.trim() ?? '';
  const children = Array.isArray(run.status?.childReferences) ? run.status.childReferences : [];
  const embedded = embeddedTaskRuns(run);
  const taskRuns = context
    .details(TASK_RUNS, run.metadata.namespace)
    .filter((taskRun) => labelOf(taskRun, TEKTON.pipelineRun) === run.metadata.name);
  const cached = new Set(taskRuns.map((taskRun) => taskRun.metadata.name));
  const incomplete = children.some(
    (child) =>
      typeof child === 'object' &&
      child !== null &&
      (child as { kind?: unknown }).kind === 'TaskRun' &&
      !cached.has(String((child as { name?: unknown }).name)),
  );
  // "Never started" only when Tekton says so, or when nothing shows that a task ran: no
  // child references, no TaskRuns (cached or embedded in an older status shape).
  const noTaskRan = children.length === 0 && taskRuns.length === 0 && embedded.length === 0;
  if (NEVER_STARTED.has(reason) || noTaskRan) {
    const why = [reason, message].filter(Boolean).join(': ') || 'no reason given';
    return { reason: `The pipeline never started: ${why}`, tasks: [], incomplete: false };
  }
  const failed: FailedTask[] = taskRuns
    .filter(failedNotCancelled)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((taskRun) => ({
      task: labelOf(taskRun, TEKTON.pipelineTask) ?? taskRun.metadata.name,
      taskRun: taskRun.metadata.name,
      detail: conditionDetail(conditionOf(taskRun, 'Succeeded')),
    }));
  // The embedded status of older runs names the tasks when their TaskRuns are gone.
  for (const entry of embedded) {
    if (entry.failed && !cached.has(entry.taskRun)) failed.push(entry);
  }
  const tasks = failed.map((f) => f.task);
  const lines: string[] = [];
  if (message) lines.push(message);
  for (const f of failed) {
    lines.push(`Task ${f.task} failed (TaskRun ${f.taskRun})${f.detail ? `: ${f.detail}` : ''}`);
  }
  if (lines.length === 0)
    lines.push(
      reason ? `${reason} (no message)` : 'unknown: the run failed without a reason or message',
    );
  return { reason: lines.join('\n'), tasks, incomplete };
}

function failedNotCancelled(taskRun: KubeObject): boolean {
  const condition = conditionOf(taskRun, 'Succeeded');
  return condition?.status === 'False' && condition.reason !== 'TaskRunCancelled';
}

function conditionDetail(condition: { reason?: string; message?: string } | undefined): string {
  return [condition?.reason, condition?.message?.trim()].filter(Boolean).join(': ');
}

/**
 * The failed tasks of the embedded status older Tekton releases wrote
 * (`status.taskRuns: { <taskRun>: { pipelineTaskName, status: { conditions } } }`);
 * returns every embedded TaskRun, failed or not: each is evidence that a task ran.
 */
function embeddedTaskRuns(run: KubeObject): (FailedTask & { failed: boolean })[] {
  const embedded = run.status?.taskRuns;
  if (typeof embedded !== 'object' || embedded === null || Array.isArray(embedded)) return [];
  const all: (FailedTask & { failed: boolean })[] = [];
  for (const [taskRun, value] of Object.entries(embedded as Record<string, unknown>)) {
    if (typeof value !== 'object' || value === null) continue;
    const entry = value as { pipelineTaskName?: unknown; status?: { conditions?: unknown } };
    const conditions = Array.isArray(entry.status?.conditions) ? entry.status.conditions : [];
    const succeeded = (conditions as { type?: string; status?: string; reason?: string }[]).find(
      (c) => c?.type === 'Succeeded',
    );
    all.push({
      task: typeof entry.pipelineTaskName === 'string' ? entry.pipelineTaskName : taskRun,
      taskRun,
      detail: conditionDetail(succeeded),
      failed: succeeded?.status === 'False' && succeeded.reason !== 'TaskRunCancelled',
    });
  }
  return all.sort((a, b) => a.taskRun.localeCompare(b.taskRun));
}
