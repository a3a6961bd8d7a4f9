/**
 * MintMaker runs as the cluster shows them: the PipelineRun (for its labels and status),
 * its TaskRuns in order with their steps, and each step container's log from the pod
 * log API, read with the server's own service account. Used while the pods exist;
 * afterwards the archive serves the logs.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { Readable } from 'node:stream';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type ConfigurationOptions,
} from '@kubernetes/client-node';
import { unavailable, withDeadline, type Deadline } from '../kube/deadline.js';
import { MINTMAKER_LABELS, mintmakerOwner } from '../domain/mintmaker.js';
import type { MintmakerRun } from '../domain/mintmaker-run.js';

/** A run as the cluster shows it (the one run shape: src/domain/mintmaker-run.ts). */
export type LiveRun = MintmakerRun;

export interface LiveStep {
  task: string;
  step: string;
  pod: string;
  container: string;
  /** The step's container has ended (its log is complete). */
  terminated: boolean;
}

export interface LiveCluster {
  findRun(runNamespace: string, name: string): Promise<LiveRun | undefined>;
  listRuns(runNamespace: string, componentNamespace?: string): Promise<LiveRun[]>;
  /** The run's steps in order, each with its pod and container; [] before any task started. */
  steps(run: LiveRun): Promise<LiveStep[]>;
  /** Whether the pod still exists. */
  podExists(runNamespace: string, pod: string): Promise<boolean>;
  /** A step's log; with `follow`, until the container ends. Undefined when the pod is gone. */
  stream(runNamespace: string, step: LiveStep, follow: boolean): Promise<Readable | undefined>;
}

type Obj = {
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string> };
  status?: Record<string, unknown>;
};

/** A MintMaker run as the log endpoints show it; undefined for any other object. */
export function toLiveRun(object: Obj, mintmakerNamespace: string): LiveRun | undefined {
  const labels = object.metadata?.labels ?? {};
  const runNamespace = object.metadata?.namespace ?? '';
  const owner = mintmakerOwner(runNamespace, labels, mintmakerNamespace);
  if (!owner || !object.metadata?.name) return undefined;
  const conditions = Array.isArray(object.status?.conditions)
    ? (object.status.conditions as { type?: string; status?: string }[])
    : [];
  const succeeded = conditions.find((c) => c.type === 'Succeeded')?.status;
  const text = (key: string) => {
    const value = object.status?.[key];
    return typeof value === 'string' ? value : null;
  };
  return {
    name: object.metadata.name,
    runNamespace,
    uid: object.metadata.uid ?? '',
    ...owner,
    gitHost: labels[MINTMAKER_LABELS.gitHost] ?? null,
    repository: labels[MINTMAKER_LABELS.repository] ?? null,
    branch: labels[MINTMAKER_LABELS.branch] ?? null,
    repoBranchHash: labels[MINTMAKER_LABELS.repoBranchHash] ?? null,
    status: succeeded === 'True' ? 'Succeeded' : succeeded === 'False' ? 'Failed' : 'Running',
    startTime: text('startTime'),
    completionTime: text('completionTime'),
  };
}

/** Without a configured deadline: the default of `KITE_KUBE_API_TIMEOUT`. */
const DEFAULT_DEADLINE: Deadline = { timeoutMs: 10_000, dependency: 'the Kubernetes API' };

export function createLiveCluster(
  kc: KubeConfig,
  mintmakerNamespace: string,
  deadline: Deadline = DEFAULT_DEADLINE,
): LiveCluster {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const bounded = <T>(what: string, call: (o: ConfigurationOptions) => Promise<T>) =>
    withDeadline(deadline, what, call);
  const tekton = { group: 'tekton.dev', version: 'v1' };
  return {
    async findRun(runNamespace, name) {
      try {
        const object = (await bounded('reading a PipelineRun', (o) =>
          custom.getNamespacedCustomObject(
            { ...tekton, namespace: runNamespace, plural: 'pipelineruns', name },
            o,
          ),
        )) as Obj;
        return toLiveRun(object, mintmakerNamespace);
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return undefined;
        throw error;
      }
    },

    async listRuns(runNamespace, componentNamespace) {
      const selector =
        runNamespace === mintmakerNamespace && componentNamespace
          ? `${MINTMAKER_LABELS.namespace}=${componentNamespace}`
          : MINTMAKER_LABELS.component;
      const list = (await bounded('listing PipelineRuns', (o) =>
        custom.listNamespacedCustomObject(
          { ...tekton, namespace: runNamespace, plural: 'pipelineruns', labelSelector: selector },
          o,
        ),
      )) as { items?: Obj[] };
      return (list.items ?? []).flatMap((item) => toLiveRun(item, mintmakerNamespace) ?? []);
    },

    async steps(run) {
      const list = (await bounded('listing TaskRuns', (o) =>
        custom.listNamespacedCustomObject(
          {
            ...tekton,
            namespace: run.runNamespace,
            plural: 'taskruns',
            labelSelector: `tekton.dev/pipelineRun=${run.name}`,
          },
          o,
        ),
      )) as { items?: Obj[] };
      const taskRuns = (list.items ?? [])
        .map((taskRun) => ({
          taskRun,
          started: typeof taskRun.status?.startTime === 'string' ? taskRun.status.startTime : '~',
        }))
        .sort(
          (a, b) =>
            a.started.localeCompare(b.started) ||
            (a.taskRun.metadata?.name ?? '').localeCompare(b.taskRun.metadata?.name ?? ''),
        );
      const steps: LiveStep[] = [];
      for (const { taskRun } of taskRuns) {
        const pod = taskRun.status?.podName;
        if (typeof pod !== 'string') continue;
        const task =
          taskRun.metadata?.labels?.['tekton.dev/pipelineTask'] ?? taskRun.metadata?.name ?? '';
        const states = Array.isArray(taskRun.status?.steps)
          ? (taskRun.status.steps as { name?: string; container?: string; terminated?: unknown }[])
          : [];
        for (const state of states) {
          if (!state.name) continue;
          steps.push({
            task,
            step: state.name,
            pod,
            container: state.container ?? `step-${state.name}`,
            terminated: state.terminated !== undefined && state.terminated !== null,
          });
        }
      }
      return steps;
    },

    async podExists(runNamespace, pod) {
      try {
        await bounded('reading a pod', (o) =>
          core.readNamespacedPod({ namespace: runNamespace, name: pod }, o),
        );
        return true;
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return false;
        throw error;
      }
    },

    async stream(runNamespace, step, follow) {
      // A plain request rather than client-node's Log class, whose piped body never ends
      // or fails when the connection breaks: here a broken connection errors the stream.
      const cluster = kc.getCurrentCluster();
      if (!cluster) throw new Error('no current cluster in the Kubernetes configuration');
      const url = new URL(
        `${cluster.server}/api/v1/namespaces/${encodeURIComponent(runNamespace)}/pods/${encodeURIComponent(step.pod)}/log`,
      );
      url.searchParams.set('container', step.container);
      if (follow) url.searchParams.set('follow', 'true');
      const options: RequestOptions = { method: 'GET', headers: {} };
      await kc.applyToHTTPSOptions(options);
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      return new Promise<Readable | undefined>((resolve, reject) => {
        // Bounded until the response starts, never after: a followed log runs as long as
        // the step does.
        const timer = setTimeout(() => {
          request.destroy();
          reject(unavailable(deadline, 'reading a pod log', true));
        }, deadline.timeoutMs);
        const request = send(url, options, (response) => {
          clearTimeout(timer);
          const status = response.statusCode ?? 0;
          if (status === 200) return resolve(response);
          response.resume();
          // The pod (or its container) is gone: the caller falls back to the archive.
          if (status === 404 || status === 400) return resolve(undefined);
          reject(new Error(`reading a pod log: HTTP ${status}`));
        });
        request.once('error', (error) => {
          clearTimeout(timer);
          reject(unavailable(deadline, 'reading a pod log', false, error));
        });
        request.end();
      });
    },
  };
}

/**
 * KubeArchive serves archived objects and their logs with the Kubernetes API's own paths
 * (`/apis/tekton.dev/v1/namespaces/…/pipelineruns/…`, `/api/v1/…/pods/…/log`), so the
 * same reader works against it: the cluster's credentials (the server's service account)
 * with KubeArchive's URL. Where a cluster runs KubeArchive, runs pruned from the cluster
 * and missing from this server's archive are read there.
 */
export function kubeArchiveConfig(cluster: KubeConfig, url: string, caFile?: string): KubeConfig {
  const user = cluster.getCurrentUser();
  const current = cluster.getCurrentCluster();
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [
      {
        name: 'kubearchive',
        server: url,
        // Plain http is only for tests and local set-ups; https verifies with the given
        // CA, else the cluster's.
        skipTLSVerify: url.startsWith('http://'),
        ...(caFile
          ? { caFile }
          : current?.caData
            ? { caData: current.caData }
            : current?.caFile
              ? { caFile: current.caFile }
              : {}),
      },
    ],
    users: user ? [user] : [],
    contexts: [{ name: 'kubearchive', cluster: 'kubearchive', user: user?.name ?? '' }],
    currentContext: 'kubearchive',
  });
  return config;
}
