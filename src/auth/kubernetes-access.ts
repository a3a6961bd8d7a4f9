/**
 * Identity and permissions from Kubernetes: who is calling (TokenReview of the bearer
 * token) and what they may do in a namespace (SubjectAccessReview of that user). RBAC
 * stays the only source of truth; this service keeps no user database.
 *
 * Threat model: callers are untrusted. Tokens are never logged, never used as cache keys
 * (a SHA-256 of the token is) and never echoed in errors. When the Kubernetes API cannot
 * answer, every protected request is refused with 503 (fail closed). Impersonation
 * headers are honoured only when the authenticated caller may impersonate exactly what
 * they ask for, as the Kubernetes API server itself does.
 */
import { createHash } from 'node:crypto';
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  type ConfigurationOptions,
  type KubeConfig,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { unavailable, withDeadline, type Deadline } from '../kube/deadline.js';
import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import {
  InputError,
  NotAllowedError,
  UnauthenticatedError,
  UnavailableError,
} from '../domain/errors.js';
import type { AccessControl, Caller, Verb } from './access.js';

export interface RbacAttributes {
  group: string;
  resource: string;
  verbs: Record<Verb, string>;
}

export interface KubernetesAccessOptions {
  kubeConfig: KubeConfig;
  rbac: RbacAttributes;
  /** How long a positive answer (valid token, allowed) is reused. */
  cacheTtlMs: number;
  /** How long a negative answer (invalid token, denied) is reused; shorter. */
  negativeCacheTtlMs: number;
  cacheSize: number;
  /** How long one call to the Kubernetes API may take before the request gets 503. */
  timeoutMs: number;
}

const NAMESPACE_CHECK_CONCURRENCY = 16;

export function createKubernetesAccess(options: KubernetesAccessOptions): AccessControl {
  const authn = options.kubeConfig.makeApiClient(AuthenticationV1Api);
  const authz = options.kubeConfig.makeApiClient(AuthorizationV1Api);
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const ttl = (positive: boolean) => (positive ? options.cacheTtlMs : options.negativeCacheTtlMs);
  const tokens = new LRUCache<string, { caller: Caller | null }>({ max: options.cacheSize });
  const decisions = new LRUCache<string, { allowed: boolean }>({ max: options.cacheSize });
  const namespaceList = new LRUCache<'all', { names: string[] }>({
    max: 1,
    ttl: options.cacheTtlMs,
  });

  const deadline: Deadline = { timeoutMs: options.timeoutMs, dependency: 'the Kubernetes API' };
  // Every failure to get an answer (timeout, refused connection, an HTTP error status) is
  // a 503 naming the dependency: a permission that cannot be checked is refused.
  const ask = async <T>(what: string, call: (o: ConfigurationOptions) => Promise<T>) => {
    try {
      return await withDeadline(deadline, what, call);
    } catch (error) {
      if (error instanceof UnavailableError) throw error;
      throw unavailable(deadline, what, false, error);
    }
  };

  // Concurrent requests that miss the cache for the same answer share one review.
  const pending = new Map<string, Promise<unknown>>();
  function once<T>(key: string, ask: () => Promise<T>): Promise<T> {
    const known = pending.get(key) as Promise<T> | undefined;
    if (known) return known;
    const asked = ask().finally(() => pending.delete(key));
    pending.set(key, asked);
    return asked;
  }

  const reviewKey = (caller: Caller, attributes: V1ResourceAttributes) =>
    `${identityKey(caller)}|${JSON.stringify(attributes)}`;

  function review(caller: Caller, attributes: V1ResourceAttributes): Promise<boolean> {
    const key = reviewKey(caller, attributes);
    const cached = decisions.get(key);
    if (cached) return Promise.resolve(cached.allowed);
    return once(`sar|${key}`, () => askReview(key, caller, attributes));
  }

  /** The cached answer, without a review; undefined when there is none. */
  const known = (caller: Caller, attributes: V1ResourceAttributes) =>
    decisions.get(`${identityKey(caller)}|${JSON.stringify(attributes)}`)?.allowed;

  async function askReview(
    key: string,
    caller: Caller,
    attributes: V1ResourceAttributes,
  ): Promise<boolean> {
    const answer = await ask('SubjectAccessReview', (o) =>
      authz.createSubjectAccessReview(
        {
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: caller.name,
              groups: caller.groups,
              ...(caller.uid ? { uid: caller.uid } : {}),
              ...(caller.extra ? { extra: caller.extra } : {}),
              resourceAttributes: attributes,
            },
          },
        },
        o,
      ),
    );
    const allowed = answer.status?.allowed === true && answer.status.denied !== true;
    decisions.set(key, { allowed }, { ttl: ttl(allowed) });
    return allowed;
  }

  const onIssues = (verb: Verb, namespace: string): V1ResourceAttributes => ({
    namespace,
    verb: options.rbac.verbs[verb],
    group: options.rbac.group,
    resource: options.rbac.resource,
  });

  function authenticateToken(token: string): Promise<Caller> {
    const key = createHash('sha256').update(token).digest('hex');
    const cached = tokens.get(key);
    if (cached) {
      if (!cached.caller)
        return Promise.reject(new UnauthenticatedError('Invalid or expired token'));
      return Promise.resolve(cached.caller);
    }
    return once(`token|${key}`, () => askTokenReview(key, token));
  }

  async function askTokenReview(key: string, token: string): Promise<Caller> {
    const answer = await ask('TokenReview', (o) =>
      authn.createTokenReview(
        { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } },
        o,
      ),
    );
    const user = answer.status?.user;
    const caller: Caller | null =
      answer.status?.authenticated === true && user?.username
        ? {
            name: user.username,
            groups: user.groups ?? [],
            anonymous: false,
            ...(user.uid ? { uid: user.uid } : {}),
            ...(user.extra ? { extra: user.extra } : {}),
          }
        : null;
    tokens.set(key, { caller }, { ttl: ttl(caller !== null) });
    if (!caller) throw new UnauthenticatedError('Invalid or expired token');
    return caller;
  }

  async function impersonated(request: FastifyRequest, real: Caller): Promise<Caller> {
    // In-process requests (Fastify's inject, which the MCP endpoint's calls use) have no
    // `headersDistinct`; their headers were given one value or an array per name.
    const headers: Record<string, string[] | undefined> =
      request.raw.headersDistinct ?? distinctOf(request.raw.headers);
    const user = headers['impersonate-user']?.[0];
    const groups = headers['impersonate-group'] ?? [];
    const uid = headers['impersonate-uid']?.[0];
    const extra: Record<string, string[]> = {};
    for (const [name, values] of Object.entries(headers)) {
      if (name.startsWith('impersonate-extra-') && values) {
        extra[extraKey(name.slice('impersonate-extra-'.length))] = values;
      }
    }
    if (user === undefined) {
      if (groups.length || uid !== undefined || Object.keys(extra).length) {
        throw new InputError(
          'Impersonate-User is required when impersonating groups, a uid or extras',
        );
      }
      return real;
    }
    const wanted: V1ResourceAttributes[] = [
      { verb: 'impersonate', group: '', resource: 'users', name: user },
      ...groups.map((name) => ({ verb: 'impersonate', group: '', resource: 'groups', name })),
      ...(uid !== undefined
        ? [{ verb: 'impersonate', group: 'authentication.k8s.io', resource: 'uids', name: uid }]
        : []),
      ...Object.entries(extra).flatMap(([key, values]) =>
        values.map((name) => ({
          verb: 'impersonate',
          group: 'authentication.k8s.io',
          resource: `userextras/${key}`,
          name,
        })),
      ),
    ];
    for (const attributes of wanted) {
      if (!(await review(real, attributes))) {
        throw new NotAllowedError(
          `${real.name} may not impersonate ${attributes.resource} "${attributes.name ?? ''}"`,
        );
      }
    }
    return {
      name: user,
      groups: [...new Set([...groups, 'system:authenticated'])],
      anonymous: false,
      impersonated: true,
      ...(uid !== undefined ? { uid } : {}),
      ...(Object.keys(extra).length ? { extra } : {}),
    };
  }

  return {
    async authenticate(request) {
      const header = request.headers.authorization;
      const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match?.[1])
        throw new UnauthenticatedError(
          'Authentication required: send Authorization: Bearer <token>',
        );
      return impersonated(request, await authenticateToken(match[1]));
    },

    allowed: (caller, verb, namespace) => review(caller, onIssues(verb, namespace)),

    cachedAllowed: (caller, verb, namespace) =>
      decisions.get(reviewKey(caller, onIssues(verb, namespace)))?.allowed,

    async readableNamespaces(caller) {
      if (await review(caller, onIssues('read', ''))) return 'all';
      let names = namespaceList.get('all')?.names;
      if (!names) {
        const list = await ask('listing namespaces', (o) => core.listNamespace({}, o));
        names = list.items.map((ns) => ns.metadata?.name ?? '').filter(Boolean);
        namespaceList.set('all', { names });
      }
      // Cached answers first, without a promise each (a reader of hundreds of namespaces
      // asks this on every list); only the namespaces not in the cache are reviewed.
      const readable: string[] = [];
      const unknown: string[] = [];
      for (const ns of names) {
        const answer = known(caller, onIssues('read', ns));
        if (answer === undefined) unknown.push(ns);
        else if (answer) readable.push(ns);
      }
      if (unknown.length === 0) return readable;
      readable.length = 0;
      for (let i = 0; i < names.length; i += NAMESPACE_CHECK_CONCURRENCY) {
        const batch = names.slice(i, i + NAMESPACE_CHECK_CONCURRENCY);
        const answers = await Promise.all(batch.map((ns) => review(caller, onIssues('read', ns))));
        batch.forEach((ns, j) => answers[j] && readable.push(ns));
      }
      return readable;
    },
  };
}

/**
 * An `Impersonate-Extra-<key>` header's key, percent-decoded as Kubernetes does; a
 * malformed escape (`%ZZ`) is the caller's mistake: 400, naming the header.
 */
function extraKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new InputError(
      `Impersonate-Extra-${encoded}: the key is not valid percent-encoding (RFC 3986)`,
      { field: `impersonate-extra-${encoded}` },
    );
  }
}

const identityKeys = new WeakMap<Caller, string>();

/**
 * A stable key for everything a SubjectAccessReview is asked about the caller, computed
 * once per caller object (the token cache hands out the same object for a token).
 */
function identityKey(caller: Caller): string {
  let key = identityKeys.get(caller);
  if (key === undefined) {
    const extra = Object.entries(caller.extra ?? {}).sort(([a], [b]) => a.localeCompare(b));
    key = createHash('sha256')
      .update(JSON.stringify([caller.name, caller.uid ?? '', [...caller.groups].sort(), extra]))
      .digest('hex');
    identityKeys.set(caller, key);
  }
  return key;
}

/** Headers as `headersDistinct` has them: every value of a name in an array. */
function distinctOf(headers: NodeJS.Dict<string | string[]>): Record<string, string[]> {
  const distinct: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) distinct[name] = Array.isArray(value) ? value : [value];
  }
  return distinct;
}
