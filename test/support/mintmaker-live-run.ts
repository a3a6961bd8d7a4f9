/**
 * A live MintMaker run for the Kubernetes API double, as the run log tests drive it: its
 * PipelineRun in the `mintmaker` namespace (labelled with the component and its
 * namespace, the run's owner), its one TaskRun and the pod of its steps. Each is running
 * until the test applies it `finished`, then ended as `outcome` says.
 */

export interface LiveRunOptions {
  name: string;
  uid: string;
  /** The component's namespace: who may read the run. */
  owner: string;
  /** Also the git host, repository and branch labels (of `acme/frontend`, `main`). */
  repositoryLabels?: boolean;
  /** The pipeline task; its TaskRun is `<name>-<task>`. */
  task: string;
  podName: string;
  /** The steps in order: all but the last have ended (exit 0); the last runs until finished. */
  steps: string[];
  /** When the run started (`…T04:00:00Z`); it completes 5 minutes later. */
  startTime: string;
  outcome: 'Succeeded' | 'Failed';
}

export function liveMintmakerRun(o: LiveRunOptions) {
  const at = (seconds: number) =>
    new Date(Date.parse(o.startTime) + seconds * 1000).toISOString().replace('.000Z', 'Z');
  const taskRunName = `${o.name}-${o.task}`;
  const succeeded = o.outcome === 'Succeeded';
  const ended = { status: succeeded ? 'True' : 'False', exitCode: succeeded ? 0 : 1 };
  const pipelineRun = (finished: boolean) => ({
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: {
      name: o.name,
      namespace: 'mintmaker',
      uid: o.uid,
      labels: {
        'mintmaker.appstudio.redhat.com/namespace': o.owner,
        'mintmaker.appstudio.redhat.com/component': 'frontend',
        ...(o.repositoryLabels
          ? {
              'mintmaker.appstudio.redhat.com/git-host': 'github.com',
              'mintmaker.appstudio.redhat.com/repository': 'acme_frontend',
              'mintmaker.appstudio.redhat.com/branch': 'main',
            }
          : {}),
      },
    },
    status: {
      startTime: at(0),
      ...(finished ? { completionTime: at(300) } : {}),
      childReferences: [{ apiVersion: 'tekton.dev/v1', kind: 'TaskRun', name: taskRunName }],
      conditions: [
        {
          type: 'Succeeded',
          status: finished ? ended.status : 'Unknown',
          reason: finished ? o.outcome : 'Running',
          lastTransitionTime: at(300),
        },
      ],
    },
  });
  const taskRun = (finished: boolean) => ({
    apiVersion: 'tekton.dev/v1',
    kind: 'TaskRun',
    metadata: {
      name: taskRunName,
      namespace: 'mintmaker',
      labels: { 'tekton.dev/pipelineRun': o.name, 'tekton.dev/pipelineTask': o.task },
    },
    status: {
      podName: o.podName,
      startTime: at(1),
      steps: o.steps.map((name, i) => ({
        name,
        container: `step-${name}`,
        ...(i < o.steps.length - 1
          ? { terminated: { exitCode: 0 } }
          : finished
            ? { terminated: { exitCode: ended.exitCode } }
            : {}),
      })),
      conditions: [
        {
          type: 'Succeeded',
          status: finished ? ended.status : 'Unknown',
          reason: finished ? o.outcome : 'Running',
        },
      ],
    },
  });
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: o.podName, namespace: 'mintmaker' },
    spec: { containers: o.steps.map((name) => ({ name: `step-${name}` })) },
  };
  return { pipelineRun, taskRun, pod };
}
