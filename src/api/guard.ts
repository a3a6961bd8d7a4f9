/**
 * Permission checks as routes use them. The namespace checked is always the namespace
 * of the data: the stored issue's for by-id routes, the payload's for writes. An issue
 * the caller may not read answers exactly like one that does not exist.
 */
import type { FastifyRequest } from 'fastify';
import type { AccessControl, Caller, Verb } from '../auth/access.js';
import { NotAllowedError, NotFoundError } from '../domain/errors.js';
import type { IssueStore } from '../store/issue-store.js';

export interface Guard {
  caller(request: FastifyRequest): Promise<Caller>;
  /** 403 unless the caller may `verb` in `namespace`. */
  requireNamespace(request: FastifyRequest, verb: Verb, namespace: string): Promise<void>;
  /** The issue's namespace after checking `verb` there; 404 for unknown and unreadable ids alike. */
  requireIssue(request: FastifyRequest, id: string, verb: Verb): Promise<string>;
  /** The namespaces a query may cover: the requested ones (each checked) or all readable. */
  readScope(
    request: FastifyRequest,
    requested: string[] | undefined,
  ): Promise<string[] | undefined>;
}

const NOT_FOUND = 'Issue not found';

export function createGuard(access: AccessControl, store: IssueStore): Guard {
  const callers = new WeakMap<FastifyRequest, Promise<Caller>>();
  const caller = (request: FastifyRequest) => {
    let known = callers.get(request);
    if (!known) {
      known = access.authenticate(request);
      callers.set(request, known);
    }
    return known;
  };
  return {
    caller,
    async requireNamespace(request, verb, namespace) {
      if (!(await access.allowed(await caller(request), verb, namespace))) {
        throw new NotAllowedError(`Not allowed to ${verb} issues in namespace ${namespace}`);
      }
    },
    async requireIssue(request, id, verb) {
      const who = await caller(request);
      const namespace = await store.namespaceOf(id);
      if (namespace === undefined || !(await access.allowed(who, 'read', namespace)))
        throw new NotFoundError(NOT_FOUND);
      if (verb !== 'read' && !(await access.allowed(who, verb, namespace))) {
        throw new NotAllowedError(`Not allowed to ${verb} issues in namespace ${namespace}`);
      }
      return namespace;
    },
    async readScope(request, requested) {
      const who = await caller(request);
      if (requested && requested.length > 0) {
        const unique = [...new Set(requested)];
        for (const namespace of unique) {
          if (!(await access.allowed(who, 'read', namespace))) {
            throw new NotAllowedError(`Not allowed to read issues in namespace ${namespace}`);
          }
        }
        return unique;
      }
      const readable = await access.readableNamespaces(who);
      return readable === 'all' ? undefined : readable;
    },
  };
}
