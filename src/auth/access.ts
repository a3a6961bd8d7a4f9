/**
 * The one place every route asks "who is calling" and "may this caller do this in that
 * namespace". Two implementations: `createKubernetesAccess` (TokenReview and
 * SubjectAccessReview, kubernetes-access.ts) and `allowAll` (anonymous, for local
 * development on loopback only).
 */
import type { FastifyRequest } from 'fastify';

/**
 * `manage`: subscriptions, silences and acknowledgements of a namespace (by default the
 * same Kubernetes verb as `write`, configurable apart).
 */
export type Verb = 'read' | 'write' | 'report' | 'manage';

export interface Caller {
  name: string;
  groups: string[];
  anonymous: boolean;
  uid?: string;
  extra?: Record<string, string[]>;
  /**
   * Set when the caller sent no token and was recognised as the pod of a running
   * MintMaker run (pod-reporters.ts): it may report in `run.namespace` only.
   */
  run?: ReporterRun;
  /**
   * The cluster whose TokenReview accepted the caller's token (cluster-access.ts);
   * absent: the server's own.
   */
  cluster?: string;
  /**
   * Set when the caller is who a proxy impersonates: a right granted by one cluster's
   * RBAC, so the identity means nothing on another (cluster-access.ts).
   */
  impersonated?: true;
}

/** The MintMaker run a tokenless report came from, as the cluster shows it. */
export interface ReporterRun {
  /** The PipelineRun's name and namespace (MintMaker's). */
  name: string;
  runNamespace: string;
  /** The component's namespace (the run's `mintmaker.appstudio.redhat.com/namespace`). */
  namespace: string;
  /** The run's `mintmaker.appstudio.redhat.com/repo-branch-hash`, when labelled. */
  repoBranchHash: string | undefined;
  /** The PipelineRun's status.startTime. */
  startedAt: string | undefined;
}

export interface AccessControl {
  /** Resolves the caller, or throws UnauthenticatedError / UnavailableError. */
  authenticate(request: FastifyRequest): Promise<Caller>;
  /**
   * Whether `caller` may do `verb` in `namespace` (a place key, src/domain/place.ts: the
   * bare namespace on the server's own cluster); throws UnavailableError when it cannot tell.
   */
  allowed(caller: Caller, verb: Verb, namespace: string): Promise<boolean>;
  /**
   * What `allowed` would answer without asking anyone: the answer it holds now (the
   * same cache, the same expiry), or undefined when it would have to ask.
   */
  cachedAllowed(caller: Caller, verb: Verb, namespace: string): boolean | undefined;
  /**
   * The namespaces (place keys) `caller` may read, or 'all' when unrestricted. Over
   * member clusters, one that cannot be asked is left out and named to `onUnavailable`.
   */
  readableNamespaces(
    caller: Caller,
    onUnavailable?: (cluster: string) => void,
  ): Promise<string[] | 'all'>;
  /** The clusters it answers for, when there are members (cluster-access.ts). */
  clusters?: { local: string; members: readonly string[] };
}

const ANONYMOUS: Caller = {
  name: 'system:anonymous',
  groups: ['system:unauthenticated'],
  anonymous: true,
};

export function allowAll(): AccessControl {
  return {
    authenticate: () => Promise.resolve(ANONYMOUS),
    allowed: () => Promise.resolve(true),
    cachedAllowed: () => true,
    readableNamespaces: () => Promise.resolve('all'),
  };
}
