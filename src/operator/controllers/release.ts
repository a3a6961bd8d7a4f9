/**
 * Releases (`appstudio.redhat.com/v1alpha1`), as the release service writes them. A
 * failed release is a release issue **in the tenant namespace** (where the Release is),
 * scoped to its ReleasePlan: a release to production is judged apart from one to staging,
 * and another tenant's release of an application with the same name never touches it.
 * The issue names the phase that failed and, for the managed pipeline, the failing task
 * and step the release service recorded (`status.managedPipelineAttempts[]`; the
 * deprecated `managedProcessing` is read too). The release pipeline runs themselves, in
 * the managed namespace, are not reported apart: they are this Release's problem
 * (pipelinerun.ts). A release is complete when its `Released` condition is True, or False
 * with reason `Failed` (False with `Progressing` means it is still running).
 */
import {
  conditionOf,
  labelOf,
  RELEASE_PLANS,
  RELEASES,
  runLink,
  stringAt,
  type Condition,
  type Controller,
  type KubeObject,
  type ObserveContext,
  type RunScope,
} from '../controller.js';
import { KONFLUX, RELEASE } from '../run-labels.js';

/** The processing phases of a release, in the order they run, and where their runs are. */
const PHASES: readonly { condition: string; name: string; status: string[] }[] = [
  { condition: 'Validated', name: 'validation', status: [] },
  {
    condition: 'TenantCollectorsPipelineProcessed',
    name: 'tenant collectors pipeline',
    status: ['collectorsProcessing', 'tenantCollectorsProcessing'],
  },
  {
    condition: 'ManagedCollectorsPipelineProcessed',
    name: 'managed collectors pipeline',
    status: ['collectorsProcessing', 'managedCollectorsProcessing'],
  },
  { condition: 'TenantPipelineProcessed', name: 'tenant pipeline', status: ['tenantProcessing'] },
  {
    condition: 'ManagedPipelineProcessed',
    name: 'managed pipeline',
    status: ['managedProcessing'],
  },
  { condition: 'FinalPipelineProcessed', name: 'final pipeline', status: ['finalProcessing'] },
];

/** Where the release service records each attempt of a pipeline, by phase. */
const ATTEMPTS: Record<string, string> = {
  'managed pipeline': 'managedPipelineAttempts',
  'tenant pipeline': 'tenantPipelineAttempts',
};

export const releaseController: Controller = {
  name: 'releases',
  watches: RELEASES,
  details: [RELEASE_PLANS],
  observe(release, context) {
    const released = conditionOf(release, 'Released');
    const succeeded = released?.status === 'True';
    const failed = released?.status === 'False' && released.reason === 'Failed';
    if (!succeeded && !failed) return undefined;
    const plan = labelOf(release, RELEASE.releasePlan) ?? stringAt(release.spec, 'releasePlan');
    const snapshot = labelOf(release, RELEASE.snapshot) ?? stringAt(release.spec, 'snapshot');
    const { application, incomplete } = applicationOf(release, plan, context);
    const [scopeType, scopeName]: [RunScope, string] = plan
      ? ['release-plan', plan]
      : application
        ? ['application', application]
        : ['release-plan', release.metadata.name];
    const labels: Record<string, string> = {};
    if (application) labels[KONFLUX.application] = application;
    if (plan) labels[RELEASE.releasePlan] = plan;
    if (snapshot) labels[RELEASE.snapshot] = snapshot;
    const logsUrl = runLink(
      context.settings.logsUrlTemplate,
      release,
      application ? { application } : {},
    );
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
      labels,
    };
    if (succeeded) return { ...base, outcome: 'success', title: '', reason: '' };
    const phase = failedPhase(release);
    const attempt = phase ? lastAttempt(release, phase.name) : undefined;
    const where = [
      application ? `application ${application}` : undefined,
      plan ? `release plan ${plan}` : undefined,
    ].filter(Boolean);
    const what = where.length
      ? `Release failed for ${where.length === 2 ? `${where[0]} (${where[1]})` : where[0]}`
      : `Release ${release.metadata.name} failed`;
    const task = attempt?.lastTask
      ? `task ${attempt.lastTask}${attempt.lastStep ? `, step ${attempt.lastStep}` : ''}`
      : '';
    const details = [phase?.condition.reason, phase?.condition.message ?? released.message]
      .filter(Boolean)
      .join(': ');
    const lines = [
      `Release ${release.metadata.name} failed during ${phase?.name ?? 'an unknown phase'}${details ? `: ${details}` : ''}`,
    ];
    if (attempt?.lastTask) {
      lines.push(
        `Failed task: ${attempt.lastTask}${attempt.lastStep ? ` (step ${attempt.lastStep})` : ''}${attempt.failureReason ? `: ${attempt.failureReason}` : ''}`,
      );
    }
    const pipelineRun = attempt?.pipelineRun ?? (phase ? pipelineRunOf(release, phase) : undefined);
    if (pipelineRun) {
      lines.push(
        `Release pipeline run: ${pipelineRun}${attempt && attempt.count > 1 ? ` (attempt ${attempt.count})` : ''}`,
      );
    }
    if (snapshot) lines.push(`Snapshot: ${snapshot}`);
    return {
      ...base,
      outcome: 'failure',
      title: `${what}${phase ? ` during ${phase.name}` : ''}${task ? `: ${task}` : ''}`,
      reason: lines.join('\n'),
      ...(incomplete ? { incomplete: true } : {}),
    };
  },
};

/**
 * The application released: the Release's label when someone set it, else its
 * ReleasePlan's `spec.application` (the release service labels Releases with the plan
 * and the snapshot only). Undefined when neither says: the link is then left out. A plan
 * not cached yet makes the observation incomplete, so delivery waits a little for it.
 */
function applicationOf(
  release: KubeObject,
  plan: string | undefined,
  context: ObserveContext,
): { application?: string; incomplete: boolean } {
  const labelled = labelOf(release, KONFLUX.application);
  if (labelled) return { application: labelled, incomplete: false };
  if (!plan) return { incomplete: false };
  const releasePlan = context
    .details(RELEASE_PLANS, release.metadata.namespace)
    .find((candidate) => candidate.metadata.name === plan);
  const application = stringAt(releasePlan?.spec, 'application');
  return { ...(application ? { application } : {}), incomplete: !releasePlan };
}

interface FailedPhase {
  name: string;
  condition: Condition;
  status: string[];
}

function failedPhase(release: KubeObject): FailedPhase | undefined {
  for (const phase of PHASES) {
    const condition = conditionOf(release, phase.condition);
    if (condition?.status === 'False' && condition.reason === 'Failed') {
      return { name: phase.name, condition, status: phase.status };
    }
  }
  return undefined;
}

interface Attempt {
  pipelineRun?: string;
  lastTask?: string;
  lastStep?: string;
  failureReason?: string;
  /** How many attempts there were (the release service retries some failures). */
  count: number;
}

/** The last recorded attempt of a phase's pipeline, when the release service records them. */
function lastAttempt(release: KubeObject, phase: string): Attempt | undefined {
  const field = ATTEMPTS[phase];
  const attempts = field ? release.status?.[field] : undefined;
  if (!Array.isArray(attempts) || attempts.length === 0) return undefined;
  const last = attempts[attempts.length - 1] as Record<string, unknown> | null;
  if (typeof last !== 'object' || last === null) return undefined;
  const pipelineRun = stringAt(last, 'pipelineRun');
  const lastTask = stringAt(last, 'lastTask');
  const lastStep = stringAt(last, 'lastStep');
  const failureReason = stringAt(last, 'failureReason');
  return {
    ...(pipelineRun ? { pipelineRun } : {}),
    ...(lastTask ? { lastTask } : {}),
    ...(lastStep ? { lastStep } : {}),
    ...(failureReason ? { failureReason } : {}),
    count: attempts.length,
  };
}

/** The pipeline run of a phase from its (deprecated for the managed pipeline) status block. */
function pipelineRunOf(release: KubeObject, phase: FailedPhase): string | undefined {
  if (phase.status.length === 0) return undefined;
  let record: unknown = release.status;
  for (const key of phase.status) {
    record =
      typeof record === 'object' && record !== null
        ? (record as Record<string, unknown>)[key]
        : undefined;
  }
  return typeof record === 'object' && record !== null
    ? stringAt(record as Record<string, unknown>, 'pipelineRun')
    : undefined;
}
