/**
 * Realistic Konflux objects for operator tests and benchmarks: PipelineRuns and TaskRuns
 * as Tekton and Pipelines as Code label them, MintMaker runs, Releases.
 */
import { randomUUID } from 'node:crypto';
import type { KubeObject, ObjectMeta } from './kube-api.js';

export type RunObject = KubeObject & { metadata: ObjectMeta & { name: string; namespace: string } };

const minute = (n: number) => new Date(Date.UTC(2026, 10, 20, 8, 0) + n * 60_000).toISOString();

export interface RunOptions {
  namespace: string;
  name: string;
  /** Completion minute (relative); undefined: still running. */
  completedAt?: number;
  succeeded?: boolean;
  type?: 'build' | 'test' | 'managed';
  component?: string;
  application?: string;
  scenario?: string;
  eventType?: 'push' | 'pull_request';
  pipeline?: string;
  /** The condition's reason and message (defaults: Succeeded / Failed with a task summary). */
  reason?: string;
  message?: string;
  /** Child TaskRuns that ran (names), for childReferences. */
  children?: string[];
  started?: boolean;
  labels?: Record<string, string>;
}

export function pipelineRun(o: RunOptions): RunObject {
  const labels: Record<string, string> = {
    'tekton.dev/pipeline': o.pipeline ?? `${o.component ?? 'app'}-on-push`,
    ...(o.type ? { 'pipelines.appstudio.openshift.io/type': o.type } : {}),
    ...(o.component ? { 'appstudio.openshift.io/component': o.component } : {}),
    ...(o.application ? { 'appstudio.openshift.io/application': o.application } : {}),
    ...(o.scenario ? { 'test.appstudio.openshift.io/scenario': o.scenario } : {}),
    ...(o.eventType ? { 'pipelinesascode.tekton.dev/event-type': o.eventType } : {}),
    ...(o.pipeline ? { 'pipelinesascode.tekton.dev/original-prname': o.pipeline } : {}),
    ...o.labels,
  };
  const done = o.completedAt !== undefined;
  const succeeded = o.succeeded ?? false;
  return {
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: { name: o.name, namespace: o.namespace, uid: randomUUID(), labels },
    spec: { pipelineRef: { name: o.pipeline ?? 'docker-build' } },
    status: {
      ...(o.started === false ? {} : { startTime: minute((o.completedAt ?? 0) - 5) }),
      ...(done ? { completionTime: minute(o.completedAt ?? 0) } : {}),
      conditions: [
        {
          type: 'Succeeded',
          status: done ? (succeeded ? 'True' : 'False') : 'Unknown',
          reason: o.reason ?? (done ? (succeeded ? 'Succeeded' : 'Failed') : 'Running'),
          message:
            o.message ??
            (succeeded
              ? 'Tasks Completed: 4, Skipped: 0'
              : 'Tasks Completed: 4 (Failed: 1, Cancelled 0), Skipped: 0'),
          lastTransitionTime: minute(o.completedAt ?? 0),
        },
      ],
      ...(o.children
        ? {
            childReferences: o.children.map((name) => ({
              apiVersion: 'tekton.dev/v1',
              kind: 'TaskRun',
              name,
              pipelineTaskName: name.replace(`${o.name}-`, ''),
            })),
          }
        : {}),
    },
  };
}

export function failedTaskRun(run: RunObject, task: string, message: string): RunObject {
  return {
    apiVersion: 'tekton.dev/v1',
    kind: 'TaskRun',
    metadata: {
      name: `${run.metadata.name}-${task}`,
      namespace: run.metadata.namespace,
      uid: randomUUID(),
      labels: { 'tekton.dev/pipelineRun': run.metadata.name, 'tekton.dev/pipelineTask': task },
    },
    status: {
      conditions: [{ type: 'Succeeded', status: 'False', reason: 'Failed', message }],
    },
  };
}

export function mintmakerRun(o: {
  name: string;
  componentNamespace: string;
  component: string;
  completedAt: number;
  succeeded: boolean;
  runNamespace?: string;
}): RunObject {
  return pipelineRun({
    namespace: o.runNamespace ?? 'mintmaker',
    name: o.name,
    completedAt: o.completedAt,
    succeeded: o.succeeded,
    pipeline: 'mintmaker-renovate',
    labels: {
      'mintmaker.appstudio.redhat.com/namespace': o.componentNamespace,
      'mintmaker.appstudio.redhat.com/component': o.component,
      'mintmaker.appstudio.redhat.com/git-host': 'github.com',
      'mintmaker.appstudio.redhat.com/repository': `acme_${o.component}`,
      'mintmaker.appstudio.redhat.com/branch': 'main',
    },
  });
}

export function release(o: {
  namespace: string;
  name: string;
  application: string;
  completedAt: number;
  succeeded: boolean;
  failedPhase?: string;
}): RunObject {
  const phase = o.failedPhase ?? 'ManagedPipelineProcessed';
  return {
    apiVersion: 'appstudio.redhat.com/v1alpha1',
    kind: 'Release',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      uid: randomUUID(),
      labels: { 'appstudio.openshift.io/application': o.application },
    },
    spec: { releasePlan: `${o.application}-prod`, snapshot: `${o.application}-snap` },
    status: {
      completionTime: minute(o.completedAt),
      conditions: [
        { type: 'Validated', status: 'True', reason: 'Succeeded' },
        o.succeeded
          ? { type: phase, status: 'True', reason: 'Succeeded' }
          : {
              type: phase,
              status: 'False',
              reason: 'Failed',
              message: 'task push-to-registry failed',
            },
        {
          type: 'Released',
          status: o.succeeded ? 'True' : 'False',
          reason: o.succeeded ? 'Succeeded' : 'Failed',
          lastTransitionTime: minute(o.completedAt),
        },
      ],
      managedProcessing: { pipelineRun: `rhtap-releng-tenant/managed-${o.name}` },
    },
  };
}
