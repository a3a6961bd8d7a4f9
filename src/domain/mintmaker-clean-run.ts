/**
 * When a MintMaker run of a pipeline (`<git host>/<repository>@<branch>`) completes, its
 * log analyzer has already reported every category it found (`mintmaker-custom`, one
 * call per category, before `pipeline-success` or `pipeline-failure`). So the
 * `mintmaker-<category>` issues of that pipeline, in the same namespace, that were NOT
 * reported since the run started are gone: they are resolved, with an event naming the
 * run. Issues reported during the run stay as they are: a run with errors but no FATAL
 * line sends the error report and then `pipeline-success`, and the error issue stays
 * open (docs/decisions/0013-mintmaker-issues-clear-on-a-clean-run.md).
 *
 * This module decides, from one webhook call, whether the rule applies and to what; the
 * run's start may still have to be looked up from `runId` (src/api/clean-runs.ts).
 */
import { InputError } from './errors.js';
import { isStorableTime } from './rfc3339.js';

/** The run the cluster says sent a tokenless call (src/auth/pod-reporters.ts). */
export interface CallingRun {
  name: string;
  startedAt: string | undefined;
}

/** The log categories `mintmaker-custom` reports, each its own scope type `mintmaker-<category>`. */
export const MINTMAKER_CATEGORIES = ['error', 'warning', 'info'] as const;

export const mintmakerScopeType = (category: (typeof MINTMAKER_CATEGORIES)[number]) =>
  `mintmaker-${category}`;

export interface CleanRun {
  namespace: string;
  /** The pipeline by name (the analyzer's webhooks) or by its repo-branch hash (the operator's). */
  pipeline: { id: string } | { hash: string };
  /** When the run started; undefined: look `runId` up. */
  startedAt: string | undefined;
  /** The run as the event names it; for a lookup, the PipelineRun name in MintMaker's namespace. */
  runId: string | undefined;
}

const REPO_BRANCH_HASH = 'mintmaker.appstudio.redhat.com/repo-branch-hash';

/**
 * The clean-run rule a webhook call triggers, or undefined. `caller` is the run the
 * cluster says sent the call (a tokenless report): its start is believed over any the
 * payload claims.
 */
export function cleanRunOf(
  webhook: string,
  payload: Readonly<Record<string, unknown>> & { namespace: string },
  caller: CallingRun | undefined,
): CleanRun | undefined {
  const claimed = startOf(payload.runStartedAt);
  const runId = typeof payload.runId === 'string' && payload.runId ? payload.runId : undefined;
  if (webhook === 'pipeline-success' || webhook === 'pipeline-failure') {
    if (typeof payload.pipelineName !== 'string') return undefined;
    const pipeline = { id: payload.pipelineName };
    if (caller) {
      return {
        namespace: payload.namespace,
        pipeline,
        startedAt: caller.startedAt,
        runId: caller.name,
      };
    }
    if (!claimed && !runId) return undefined;
    return { namespace: payload.namespace, pipeline, startedAt: claimed, runId };
  }
  if (
    (webhook === 'run-success' || webhook === 'run-failure') &&
    payload.issueType === 'dependency'
  ) {
    const labels = payload.labels as Readonly<Record<string, string>> | undefined;
    const hash = labels?.[REPO_BRANCH_HASH];
    if (!hash || !claimed) return undefined;
    return { namespace: payload.namespace, pipeline: { hash }, startedAt: claimed, runId };
  }
  return undefined;
}

/** `runStartedAt`: absent, or an RFC 3339 time (a 400 naming the field otherwise). */
function startOf(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !isStorableTime(value)) {
    throw new InputError('runStartedAt must be an RFC 3339 time, e.g. 2026-12-03T07:00:00Z', [
      { field: 'runStartedAt', message: 'runStartedAt must be an RFC 3339 time' },
    ]);
  }
  return new Date(value).toISOString();
}

/** The timeline event's words for a category cleared by a run. */
export function clearedSummary(run: CleanRun, startedAt: string): string {
  const which = run.runId ? `MintMaker run ${run.runId}` : 'a MintMaker run';
  return `resolved: not reported by ${which} (started ${startedAt}), which completed`;
}
