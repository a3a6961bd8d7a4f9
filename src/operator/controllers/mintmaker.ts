/**
 * MintMaker dependency-update runs: PipelineRuns that MintMaker starts in its own
 * namespace (default `mintmaker`), labelled with the component's namespace and name. The
 * issue belongs to the component's namespace, never to `mintmaker` (who owns a run:
 * `mintmakerOwner`, shared with the log endpoints).
 */
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
import { completion, failureOf } from './pipelinerun.js';

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
    const repository = labelOf(run, MINTMAKER.repository);
    const branch = labelOf(run, MINTMAKER.branch);
    const labels: Record<string, string> = { 'appstudio.openshift.io/component': component };
    for (const key of [
      MINTMAKER.gitHost,
      MINTMAKER.repository,
      MINTMAKER.branch,
      MINTMAKER.repoBranchHash,
    ]) {
      const value = labelOf(run, key);
      if (value) labels[key] = value;
    }
    // Without a configured page, link to the server's own log endpoint for the run.
    const logsUrl =
      runLink(context.settings.logsUrlTemplate, run) ??
      runLogsPath(run.metadata.name, run.metadata.namespace, context.settings.mintmakerNamespace);
    const scope: [RunScope, string] = ['component', component];
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
    const target = repository
      ? ` (${repository.replaceAll('_', '/')}${branch ? `@${branch}` : ''})`
      : '';
    return {
      ...base,
      outcome: 'failure',
      title: `Dependency update (MintMaker) failed for component ${component}${target}`,
      reason: `MintMaker run ${run.metadata.name} failed.\n${failure.reason}`,
      ...(failure.incomplete ? { incomplete: true } : {}),
    } satisfies Observation;
  },
};
