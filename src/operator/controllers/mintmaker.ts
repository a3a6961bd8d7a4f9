/**
 * MintMaker dependency-update runs: PipelineRuns that MintMaker starts in its own
 * namespace (default `mintmaker`), one per component and repository branch, labelled
 * with the component's namespace and name, the application, the git host, repository
 * and branch (as label values) and `repo-branch-hash`. The issue belongs to the
 * component's namespace, never to `mintmaker` (who owns a run: `mintmakerOwner`, shared
 * with the log endpoints), and its scope is the component *and* the repo-branch hash:
 * a success on `release-2.0` says nothing about a failure on `main`.
 */
import { createHash } from 'node:crypto';
import {
  labelOf,
  PIPELINE_RUNS,
  runLink,
  TASK_RUNS,
  type Controller,
  type Observation,
  type RunScope,
} from '../controller.js';
import { runLogsPath } from '../../logs/run-links.js';
import { MINTMAKER_LABELS as MINTMAKER, mintmakerOwner } from '../../domain/mintmaker.js';
import { gitTargetOf, type GitTarget } from '../../domain/mintmaker-target.js';
import { KONFLUX } from '../run-labels.js';
import { completion, failureOf } from './pipelinerun.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Labels copied from the run onto the issue, as they are. */
const KEPT_LABELS = [
  MINTMAKER.application,
  MINTMAKER.gitHost,
  MINTMAKER.repository,
  MINTMAKER.branch,
  MINTMAKER.repoBranchHash,
];

/** `(konflux-ci/my_repo@release/1.x)`: as on the git host when the hash confirms it. */
const describeTarget = (target: GitTarget | undefined) =>
  target ? ` (${target.repository}${target.branch ? `@${target.branch}` : ''})` : '';

export const mintmakerController: Controller = {
  name: 'mintmaker',
  watches: PIPELINE_RUNS,
  details: [TASK_RUNS],
  archivesLogs: true,
  defaultNamespaces: (settings) => [settings.mintmakerNamespace],
  observe(run, context) {
    const owner = mintmakerOwner(
      run.metadata.namespace,
      run.metadata.labels,
      context.settings.mintmakerNamespace,
    );
    if (!owner) return undefined;
    const { namespace, component } = owner;
    const completed = completion(run);
    if (!completed) return undefined;
    const labels: Record<string, string> = { [KONFLUX.component]: component };
    const application = labelOf(run, MINTMAKER.application);
    if (application) labels[KONFLUX.application] = application;
    for (const key of KEPT_LABELS) {
      const value = labelOf(run, key);
      if (value) labels[key] = value;
    }
    // Without a configured page, link to the server's own log endpoint for the run.
    const logsUrl =
      runLink(context.settings.logsUrlTemplate, run) ??
      runLogsPath(run.metadata.name, run.metadata.namespace, context.settings.mintmakerNamespace);
    // One scope per component and repository branch; runs of an older MintMaker without
    // the hash label keep the component's scope.
    const hash = labelOf(run, MINTMAKER.repoBranchHash);
    const scope: [RunScope, string] = ['component', hash ? `${component}@${hash}` : component];
    const base = {
      namespace,
      issueType: 'dependency' as const,
      scopeType: scope[0],
      scopeName: scope[1],
      runId: run.metadata.uid ?? `${run.metadata.namespace}/${run.metadata.name}`,
      completedAt: completed.at,
      ...(typeof run.status?.startTime === 'string' ? { runStartedAt: run.status.startTime } : {}),
      ...(logsUrl ? { logsUrl } : {}),
      labels,
    };
    if (completed.succeeded) {
      return { ...base, outcome: 'success', title: '', reason: '' } satisfies Observation;
    }
    const failure = failureOf(run, context);
    const target = gitTargetOf(run.metadata.labels, sha256);
    return {
      ...base,
      outcome: 'failure',
      title: `Dependency update (MintMaker) failed for component ${component}${describeTarget(target)}`,
      reason: `MintMaker run ${run.metadata.name} failed.\n${failure.reason}`,
      ...(failure.incomplete ? { incomplete: true } : {}),
    } satisfies Observation;
  },
};
