/**
 * MintMaker PipelineRuns in the shape MintMaker's controller creates them (written here
 * from its source, not copied): named `renovate-<MMDDhhmm>-<8 random>`, in the
 * `mintmaker` namespace, one per component and repository branch, with an embedded
 * pipeline of one task `build` (steps `prepare-db`, `prepare-rpm-cert`, `renovate`,
 * `log-sanitizer`), and labelled with the component's application, name and namespace,
 * the git platform and host, the repository and branch made into label values (`/` and
 * other characters a label cannot hold become `_`; callers pass them as MintMaker would
 * write them), and `repo-branch-hash`: the first 12 hex characters of the SHA-256 of
 * `<host>/<repository>@<branch>` spelled as on the git host.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { RunObject } from './runs.js';

export interface MintmakerRunOptions {
  /** Default: a fresh `renovate-12030400-xxxxxxxx`. */
  name?: string;
  componentNamespace: string;
  component: string;
  application: string;
  host?: string;
  platform?: string;
  /** As on the git host, e.g. `konflux-ci/my_repo`, `release/1.x`: hashed. */
  repository: string;
  branch: string;
  /** The label values as MintMaker writes them, e.g. `konflux-ci_my_repo`, `release_1.x`. */
  repositoryLabel: string;
  branchLabel: string;
  /** Minutes after 2026-12-03T04:00Z at which the run completed; undefined: running. */
  completedAt?: number;
  succeeded?: boolean;
}

const at = (minutes: number) =>
  new Date(Date.UTC(2026, 11, 3, 4, 0) + minutes * 60_000).toISOString();

export const repoBranchHashOf = (host: string, repository: string, branch: string) =>
  createHash('sha256').update(`${host}/${repository}@${branch}`).digest('hex').slice(0, 12);

export function mintmakerPipelineRun(o: MintmakerRunOptions): RunObject {
  const host = o.host ?? 'github.com';
  const name = o.name ?? `renovate-12030400-${randomUUID().slice(0, 8)}`;
  const done = o.completedAt !== undefined;
  return {
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: {
      name,
      namespace: 'mintmaker',
      uid: randomUUID(),
      labels: {
        'mintmaker.appstudio.redhat.com/application': o.application,
        'mintmaker.appstudio.redhat.com/component': o.component,
        'mintmaker.appstudio.redhat.com/namespace': o.componentNamespace,
        'mintmaker.appstudio.redhat.com/git-platform': o.platform ?? 'github',
        'mintmaker.appstudio.redhat.com/git-host': host,
        'mintmaker.appstudio.redhat.com/repository': o.repositoryLabel,
        'mintmaker.appstudio.redhat.com/branch': o.branchLabel,
        'mintmaker.appstudio.redhat.com/repo-branch-hash': repoBranchHashOf(
          host,
          o.repository,
          o.branch,
        ),
        'tekton.dev/pipeline': name,
      },
    },
    spec: {
      pipelineSpec: {
        workspaces: [{ name: 'shared-data' }],
        tasks: [
          {
            name: 'build',
            workspaces: [{ name: 'shared-data', workspace: 'shared-data' }],
            taskSpec: {
              steps: [
                { name: 'prepare-db' },
                { name: 'prepare-rpm-cert' },
                { name: 'renovate' },
                { name: 'log-sanitizer' },
              ],
            },
          },
        ],
      },
      taskRunTemplate: { serviceAccountName: 'mintmaker-controller-manager' },
      timeouts: { pipeline: '1h0m0s' },
    },
    status: {
      startTime: at(0),
      ...(done ? { completionTime: at(o.completedAt ?? 0) } : {}),
      childReferences: [
        {
          apiVersion: 'tekton.dev/v1',
          kind: 'TaskRun',
          name: `${name}-build`,
          pipelineTaskName: 'build',
        },
      ],
      conditions: [
        done
          ? o.succeeded
            ? {
                type: 'Succeeded',
                status: 'True',
                reason: 'Succeeded',
                message: 'Tasks Completed: 1 (Failed: 0, Cancelled 0), Skipped: 0',
                lastTransitionTime: at(o.completedAt ?? 0),
              }
            : {
                type: 'Succeeded',
                status: 'False',
                reason: 'Failed',
                message: 'Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 0',
                lastTransitionTime: at(o.completedAt ?? 0),
              }
          : {
              type: 'Succeeded',
              status: 'Unknown',
              reason: 'Running',
              message: 'Tasks Completed: 0 (Failed: 0, Cancelled 0), Incomplete: 1, Skipped: 0',
            },
      ],
    },
  };
}

/**
 * The run's one TaskRun (`<run>-build`, pipeline task `build`) as Tekton reports it:
 * the `renovate` step's exit code decides; `log-sanitizer` runs after it.
 */
export function mintmakerTaskRun(run: RunObject, succeeded: boolean): RunObject {
  const name = `${run.metadata.name}-build`;
  return {
    apiVersion: 'tekton.dev/v1',
    kind: 'TaskRun',
    metadata: {
      name,
      namespace: run.metadata.namespace,
      uid: randomUUID(),
      labels: {
        'tekton.dev/pipelineRun': run.metadata.name,
        'tekton.dev/pipelineTask': 'build',
        'tekton.dev/memberOf': 'tasks',
        ...Object.fromEntries(
          Object.entries(run.metadata.labels ?? {}).filter(([key]) =>
            key.startsWith('mintmaker.appstudio.redhat.com/'),
          ),
        ),
      },
    },
    status: {
      podName: `${name}-pod`,
      startTime: at(0),
      completionTime: at(1),
      steps: [
        {
          name: 'prepare-db',
          container: 'step-prepare-db',
          terminated: { exitCode: 0, reason: 'Completed' },
        },
        {
          name: 'prepare-rpm-cert',
          container: 'step-prepare-rpm-cert',
          terminated: { exitCode: 0, reason: 'Completed' },
        },
        {
          name: 'renovate',
          container: 'step-renovate',
          terminated: { exitCode: succeeded ? 0 : 1, reason: succeeded ? 'Completed' : 'Error' },
        },
        {
          name: 'log-sanitizer',
          container: 'step-log-sanitizer',
          terminated: { exitCode: 0, reason: 'Completed' },
        },
      ],
      conditions: [
        succeeded
          ? {
              type: 'Succeeded',
              status: 'True',
              reason: 'Succeeded',
              message: 'All Steps have completed executing',
            }
          : {
              type: 'Succeeded',
              status: 'False',
              reason: 'Failed',
              message: `"step-renovate" exited with code 1: Error`,
            },
      ],
    },
  };
}
