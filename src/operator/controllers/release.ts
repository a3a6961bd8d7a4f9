/**
 * Releases (`appstudio.redhat.com/v1alpha1`): a failed release is a release issue of its
 * application naming the phase that failed; a successful one resolves it. A release is
 * complete when its `Released` condition is True, or False with reason `Failed` (False
 * with `Progressing` means it is still running).
 */
import {
  conditionOf,
  labelOf,
  RELEASES,
  runLink,
  stringAt,
  type Condition,
  type Controller,
  type KubeObject,
  type RunScope,
} from '../controller.js';
import { KONFLUX } from '../run-labels.js';

/** The processing phases of a release, in the order they run. */
const PHASES: readonly [string, string][] = [
  ['Validated', 'validation'],
  ['TenantCollectorsPipelineProcessed', 'tenant collectors pipeline'],
  ['ManagedCollectorsPipelineProcessed', 'managed collectors pipeline'],
  ['TenantPipelineProcessed', 'tenant pipeline'],
  ['ManagedPipelineProcessed', 'managed pipeline'],
  ['FinalPipelineProcessed', 'final pipeline'],
];

export const releaseController: Controller = {
  name: 'releases',
  watches: RELEASES,
  observe(release, context) {
    const released = conditionOf(release, 'Released');
    const succeeded = released?.status === 'True';
    const failed = released?.status === 'False' && released.reason === 'Failed';
    if (!succeeded && !failed) return undefined;
    const [scopeType, scopeName] = scopeOf(release);
    const application = labelOf(release, KONFLUX.application);
    const logsUrl = runLink(context.settings.logsUrlTemplate, release);
    const base = {
      namespace: release.metadata.namespace,
      issueType: 'release' as const,
      scopeType,
      scopeName,
      runId: release.metadata.uid ?? `${release.metadata.namespace}/${release.metadata.name}`,
      completedAt:
        stringAt(release.status, 'completionTime') ??
        released.lastTransitionTime ??
        new Date(0).toISOString(),
      ...(logsUrl ? { logsUrl } : {}),
      labels: (application ? { [KONFLUX.application]: application } : {}) as Record<string, string>,
    };
    if (succeeded) return { ...base, outcome: 'success', title: '', reason: '' };
    const phase = failedPhase(release);
    const details = [phase?.condition.reason, phase?.condition.message ?? released.message]
      .filter(Boolean)
      .join(': ');
    return {
      ...base,
      outcome: 'failure',
      title: `Release ${release.metadata.name} failed for ${scopeType} ${scopeName}${phase ? ` during ${phase.name}` : ''}`,
      reason: `Release ${release.metadata.name} failed during ${phase?.name ?? 'an unknown phase'}${details ? `: ${details}` : ''}${pipelineRunOf(release)}`,
    };
  },
};

function scopeOf(release: KubeObject): [RunScope, string] {
  const application = labelOf(release, KONFLUX.application);
  if (application) return ['application', application];
  // Without the application label, the release plan is what a person recognises.
  return ['pipeline', stringAt(release.spec, 'releasePlan') ?? release.metadata.name];
}

function failedPhase(release: KubeObject): { name: string; condition: Condition } | undefined {
  for (const [type, name] of PHASES) {
    const condition = conditionOf(release, type);
    if (condition?.status === 'False' && condition.reason === 'Failed') return { name, condition };
  }
  return undefined;
}

/** The managed pipeline run that failed, when the release names it. */
function pipelineRunOf(release: KubeObject): string {
  const managed = release.status?.managedProcessing as Record<string, unknown> | undefined;
  const run = stringAt(managed, 'pipelineRun');
  return run ? `\nRelease pipeline run: ${run}` : '';
}
