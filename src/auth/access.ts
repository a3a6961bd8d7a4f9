/**
 * The one place every route asks "who is calling" and "may this caller do this in that
 * namespace". Two implementations: `createKubernetesAccess` (TokenReview and
 * SubjectAccessReview, kubernetes-access.ts) and `allowAll` (anonymous, for local
 * development on loopback only).
 */
import type { FastifyRequest } from 'fastify';

export type Verb = 'read' | 'write' | 'report';

export interface Caller {
  name: string;
  groups: string[];
  anonymous: boolean;
  uid?: string;
  extra?: Record<string, string[]>;
}

export interface AccessControl {
  /** Resolves the caller, or throws UnauthenticatedError / UnavailableError. */
  authenticate(request: FastifyRequest): Promise<Caller>;
  /** Whether `caller` may do `verb` in `namespace`; throws UnavailableError when it cannot tell. */
  allowed(caller: Caller, verb: Verb, namespace: string): Promise<boolean>;
  /** The namespaces `caller` may read, or 'all' when unrestricted. */
  readableNamespaces(caller: Caller): Promise<string[] | 'all'>;
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
    readableNamespaces: () => Promise.resolve('all'),
  };
}
