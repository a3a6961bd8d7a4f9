/**
 * Reporters that cannot send a token: MintMaker's Renovate log analyzer runs as a step of
 * MintMaker's PipelineRun and calls the webhooks with no Authorization header. With this
 * wrapper on (`KITE_POD_REPORTERS=true`), such a call is accepted only when all of these
 * hold, each read from the cluster with the server's own service account:
 *
 * - it is a POST to one of the configured webhooks (the analyzer's three by default);
 * - its source address is the pod IP of a pod in the reporters' namespace (MintMaker's)
 *   that is Running and belongs to a PipelineRun (`tekton.dev/pipelineRun`);
 * - that PipelineRun exists and has not completed;
 * - the run's `mintmaker.appstudio.redhat.com/namespace` label is the report's namespace;
 * - where the report names its pipeline (`pipelineId`, `pipelineName`), the SHA-256 prefix
 *   of that name is the run's `mintmaker.appstudio.redhat.com/repo-branch-hash`.
 *
 * Threat model: any pod in the cluster can send an unauthenticated request, and anyone
 * can forge `X-Forwarded-For`; only the TCP peer is trusted, and the header only when
 * that peer is a configured proxy. Pod IPs are recycled once a pod ends, so only a
 * Running pod of a running run counts, and the answer is cached briefly (seconds). The
 * caller it yields may report in one namespace and do nothing else. When the cluster
 * cannot be asked the request fails with 503, never accepted (docs/decisions/0012).
 */
import { isIP } from 'node:net';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { withDeadline, type Deadline } from '../kube/deadline.js';
import { UnauthenticatedError, UnavailableError } from '../domain/errors.js';
import { MINTMAKER_LABELS } from '../domain/mintmaker.js';
import { repoBranchHash } from '../logs/run-links.js';
import type { AccessControl, Caller, ReporterRun } from './access.js';

export interface PodReporterOptions {
  kubeConfig: KubeConfig;
  /** Where the reporters' pods run (MintMaker's namespace). */
  namespace: string;
  /** Webhook names a tokenless report may call. */
  webhooks: readonly string[];
  cacheTtlMs: number;
  /** Peers whose X-Forwarded-For is believed. */
  trustedProxies: readonly string[];
  /** How long one lookup in the Kubernetes API may take (then 503). */
  timeoutMs: number;
}

/** What tells Tekton's pods apart from any other pod. */
export const PIPELINE_RUN_LABEL = 'tekton.dev/pipelineRun';

const REFUSED =
  'Authentication required: send Authorization: Bearer <token> (a report without a token is accepted only from the pod of a running MintMaker run for that namespace)';

/** Wraps `inner`: requests with a token, and every other route, are left to it. */
export function withPodReporters(inner: AccessControl, options: PodReporterOptions): AccessControl {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const objects = options.kubeConfig.makeApiClient(CustomObjectsApi);
  const paths = new Set(options.webhooks.map((name) => `/api/v1/webhooks/${name}`));
  const proxies = new Set(options.trustedProxies.map(normalizeAddress));
  const runs = new LRUCache<string, { run: ReporterRun | null }>({
    max: 10_000,
    ttl: options.cacheTtlMs,
  });
  const pending = new Map<string, Promise<ReporterRun | null>>();
  const deadline: Deadline = { timeoutMs: options.timeoutMs, dependency: 'the Kubernetes API' };

  const unreachable = (cause: unknown) =>
    new UnavailableError(
      'Cannot check the reporting pod: the Kubernetes API did not answer. Try again later.',
      { cause },
    );

  async function lookUp(address: string): Promise<ReporterRun | null> {
    let pods: V1Pod[];
    try {
      const list = await withDeadline(deadline, 'pod list', (o) =>
        core.listNamespacedPod(
          {
            namespace: options.namespace,
            fieldSelector: `status.podIP=${address}`,
            labelSelector: PIPELINE_RUN_LABEL,
          },
          o,
        ),
      );
      pods = list.items;
    } catch (error) {
      throw unreachable(error);
    }
    // The field selector is the API server's; the check is repeated here, where it is ours.
    const running = pods.filter(
      (pod) =>
        pod.status?.podIP === address &&
        pod.status.phase === 'Running' &&
        !pod.metadata?.deletionTimestamp,
    );
    const runName = running[0]?.metadata?.labels?.[PIPELINE_RUN_LABEL];
    // Two running pods with one IP cannot both be the sender: believe neither.
    if (running.length !== 1 || !runName) return null;
    let run: unknown;
    try {
      run = await withDeadline(deadline, 'PipelineRun read', (o) =>
        objects.getNamespacedCustomObject(
          {
            group: 'tekton.dev',
            version: 'v1',
            namespace: options.namespace,
            plural: 'pipelineruns',
            name: runName,
          },
          o,
        ),
      );
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return null;
      throw unreachable(error);
    }
    const { labels, status } = runFields(run);
    const namespace = labels[MINTMAKER_LABELS.namespace];
    if (!namespace || status.completed) return null;
    return {
      name: runName,
      runNamespace: options.namespace,
      namespace,
      repoBranchHash: labels[MINTMAKER_LABELS.repoBranchHash],
      startedAt: status.startTime,
    };
  }

  function runAt(address: string): Promise<ReporterRun | null> {
    const cached = runs.get(address);
    if (cached) return Promise.resolve(cached.run);
    let asked = pending.get(address);
    if (!asked) {
      asked = lookUp(address)
        .then((run) => {
          runs.set(address, { run });
          return run;
        })
        .finally(() => pending.delete(address));
      pending.set(address, asked);
    }
    return asked;
  }

  return {
    async authenticate(request) {
      if (
        request.headers.authorization !== undefined ||
        request.method !== 'POST' ||
        !paths.has(request.routeOptions.url ?? '')
      ) {
        return inner.authenticate(request);
      }
      const address = sourceAddress(request, proxies);
      const report = reportOf(request.body);
      if (!address || !report) throw new UnauthenticatedError(REFUSED);
      const run = await runAt(address);
      const accepted =
        run !== null &&
        run.namespace === report.namespace &&
        (report.pipeline === undefined || repoBranchHash(report.pipeline) === run.repoBranchHash);
      if (!accepted) {
        request.log.info(
          { address, namespace: report.namespace, run: run?.name },
          'tokenless report refused',
        );
        throw new UnauthenticatedError(REFUSED);
      }
      request.log.info({ address, run: run.name }, 'tokenless report from a MintMaker run pod');
      return {
        name: `mintmaker-run:${run.runNamespace}/${run.name}`,
        groups: [],
        anonymous: false,
        run,
      };
    },

    allowed(caller: Caller, verb, namespace) {
      if (caller.run)
        return Promise.resolve(verb === 'report' && namespace === caller.run.namespace);
      return inner.allowed(caller, verb, namespace);
    },

    cachedAllowed(caller: Caller, verb, namespace) {
      if (caller.run) return verb === 'report' && namespace === caller.run.namespace;
      return inner.cachedAllowed(caller, verb, namespace);
    },

    readableNamespaces(caller) {
      return caller.run ? Promise.resolve([]) : inner.readableNamespaces(caller);
    },
  };
}

/** The labels and times of a PipelineRun as the API returned it (untyped: a custom object). */
function runFields(run: unknown): {
  labels: Record<string, string>;
  status: { startTime?: string; completed: boolean };
} {
  const object = (typeof run === 'object' && run !== null ? run : {}) as {
    metadata?: { labels?: unknown };
    status?: Record<string, unknown>;
  };
  const labels = object.metadata?.labels;
  const text = (key: string) => {
    const value = object.status?.[key];
    return typeof value === 'string' ? value : undefined;
  };
  const startTime = text('startTime');
  const conditions = Array.isArray(object.status?.conditions)
    ? (object.status.conditions as { type?: unknown; status?: unknown }[])
    : [];
  const succeeded = conditions.find((c) => c?.type === 'Succeeded')?.status;
  return {
    labels: typeof labels === 'object' && labels !== null ? (labels as Record<string, string>) : {},
    status: {
      ...(startTime !== undefined ? { startTime } : {}),
      // Complete: a completion time, or a Succeeded condition that is no longer Unknown.
      completed:
        text('completionTime') !== undefined || succeeded === 'True' || succeeded === 'False',
    },
  };
}

/** The report's namespace and, where it names one, its pipeline. */
function reportOf(body: unknown): { namespace: string; pipeline: string | undefined } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const fields = body as Record<string, unknown>;
  if (typeof fields.namespace !== 'string') return undefined;
  const pipeline = [fields.pipelineId, fields.pipelineName].find(
    (v): v is string => typeof v === 'string',
  );
  return { namespace: fields.namespace, pipeline };
}

/**
 * The client's address: the TCP peer's, or, when the peer is a trusted proxy, the
 * right-most X-Forwarded-For entry that is not itself a trusted proxy. Undefined when
 * that entry is not an IP address or there is none.
 */
export function sourceAddress(
  request: Pick<FastifyRequest, 'raw'>,
  trustedProxies: ReadonlySet<string>,
): string | undefined {
  let address = normalizeAddress(request.raw.socket.remoteAddress ?? '');
  if (trustedProxies.has(address)) {
    const hops = (request.raw.headersDistinct['x-forwarded-for'] ?? [])
      .flatMap((value) => value.split(','))
      .map((hop) => normalizeAddress(hop.trim()));
    while (trustedProxies.has(address) && hops.length > 0) address = hops.pop() ?? '';
    // Only proxies on the way: who sent it is unknown.
    if (trustedProxies.has(address)) return undefined;
  }
  return isIP(address) ? address : undefined;
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is `10.0.0.1`. */
function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
