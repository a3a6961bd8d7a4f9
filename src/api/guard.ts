/**
 * Permission checks as routes use them. The namespace checked is always the namespace
 * of the data: the stored issue's for by-id routes, the payload's for writes. An issue
 * the caller may not read answers exactly like one that does not exist.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AccessControl, Caller, Verb } from '../auth/access.js';
import type { ClusterNames } from '../auth/cluster-access.js';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { InputError, NotAllowedError, NotFoundError } from '../domain/errors.js';
import type { Issue, Relation } from '../domain/issue.js';
import { placeKey, placeOf } from '../domain/place.js';
import type { IssueStore } from '../store/issue-store.js';
import { readScope } from './read-scope.js';
import { found } from './route-answers.js';

export interface Guard {
  caller(request: FastifyRequest): Promise<Caller>;
  /** 403 unless the caller may `verb` in `namespace`. */
  requireNamespace(request: FastifyRequest, verb: Verb, namespace: string): Promise<void>;
  /**
   * 404 (`notFound`, as for data that does not exist) unless the caller may read in
   * `namespace`, the data's own (a MintMaker run's component namespace), or in
   * `overseer` (a namespace whose readers read all such data: MintMaker's own). When the
   * permission check cannot answer, 503: never a guess.
   */
  requireReadable(
    request: FastifyRequest,
    namespace: string,
    options: { notFound: string; overseer?: string },
  ): Promise<void>;
  /** The issue's namespace after checking `verb` there; 404 for unknown and unreadable ids alike. */
  requireIssue(request: FastifyRequest, id: string, verb: Verb): Promise<string>;
  /**
   * What the caller may do with issues in `namespace`, as `requireIssue` decides it:
   * `write` (update, resolve, delete, relate) and `manage` (silences, acknowledgements)
   * only where the caller may also read. Asks the access check only, never the store,
   * so it tells nothing about what exists there.
   */
  rights(
    request: FastifyRequest,
    namespace: string,
  ): Promise<{ read: boolean; write: boolean; manage: boolean }>;
  /**
   * The issues as this caller may see them: a relation to an issue the caller may not
   * read is removed and only counted (`hiddenRelations`), so its id never shows.
   */
  viewIssues(request: FastifyRequest, issues: Issue[]): Promise<Issue[]>;
  /**
   * The namespaces (place keys) a query may cover: the requested ones on the requested
   * clusters (each checked) or all readable (read-scope.ts).
   */
  readScope(
    request: FastifyRequest,
    requested: string[] | undefined,
    clusters?: string[],
  ): Promise<string[] | undefined>;
  /** The clusters this server answers for. */
  clusters: ClusterNames;
  /**
   * The place key of `namespace` on `cluster` (absent: the caller's own cluster, the one
   * that reviewed its token); 400 for a cluster this server does not know.
   */
  place(request: FastifyRequest, namespace: string, cluster?: string): Promise<string>;
  /** The member clusters this request's answer left out, because they could not be asked. */
  leftOut(request: FastifyRequest): readonly string[] | undefined;
  /** Notes that the caller of `request` has just changed something (read-your-writes). */
  wrote(request: FastifyRequest): Promise<void>;
  /**
   * Whether this request may read from the read replica: not when its caller changed
   * something within the read-your-writes window, which the replica may not show yet.
   */
  mayReadReplica(request: FastifyRequest): Promise<boolean>;
}

const NOT_FOUND = 'Issue not found';

export function createGuard(
  access: AccessControl,
  store: IssueStore,
  names: ClusterNames = access.clusters ?? { local: 'local', members: [] },
  readYourWritesMs = 5000,
): Guard {
  const left = new WeakMap<FastifyRequest, Set<string>>();
  const writers = new LRUCache<string, true>({ max: 100_000, ttl: Math.max(1, readYourWritesMs) });
  const writerKey = (who: Caller) =>
    JSON.stringify([who.cluster ?? names.local, who.name, who.uid ?? '']);
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
    clusters: names,
    async place(request, namespace, cluster) {
      const home = cluster ?? (await caller(request)).cluster ?? names.local;
      if (home !== names.local && !names.members.includes(home)) {
        throw new InputError(`cluster: "${home}" is not a cluster of this server`, {
          field: 'cluster',
        });
      }
      return placeKey(home, namespace, names.local);
    },
    async wrote(request) {
      const who = await callers.get(request)?.catch(() => undefined);
      if (who) writers.set(writerKey(who), true);
    },
    async mayReadReplica(request) {
      return !writers.has(writerKey(await caller(request)));
    },
    leftOut: (request) => {
      const clusters = left.get(request);
      return clusters ? [...clusters].sort() : undefined;
    },
    async requireNamespace(request, verb, namespace) {
      if (!(await access.allowed(await caller(request), verb, namespace))) {
        throw new NotAllowedError(`Not allowed to ${verb} issues in namespace ${namespace}`);
      }
    },
    async requireReadable(request, namespace, { notFound, overseer }) {
      const who = await caller(request);
      // access.allowed throws UnavailableError (503) when it cannot tell.
      if (await access.allowed(who, 'read', namespace)) return;
      if (overseer !== undefined && (await access.allowed(who, 'read', overseer))) return;
      throw new NotFoundError(notFound);
    },
    async requireIssue(request, id, verb) {
      const who = await caller(request);
      const namespace = await store.namespaceOf(id);
      if (namespace === undefined) {
        // The same work as for an issue in a namespace the caller may not read (one
        // access review), so that the answer's timing does not tell "unknown" from
        // "someone else's" (docs/security.md).
        await access.allowed(who, 'read', unknownIssueNamespace(id));
        throw new NotFoundError(NOT_FOUND);
      }
      if (!(await access.allowed(who, 'read', namespace))) throw new NotFoundError(NOT_FOUND);
      if (verb !== 'read' && !(await access.allowed(who, verb, namespace))) {
        throw new NotAllowedError(`Not allowed to ${verb} issues in namespace ${namespace}`);
      }
      return namespace;
    },
    async rights(request, namespace) {
      const who = await caller(request);
      // The order and the short cut of requireIssue: no read, no write.
      const read = await access.allowed(who, 'read', namespace);
      if (!read) return { read, write: false, manage: false };
      const [write, manage] = await Promise.all([
        access.allowed(who, 'write', namespace),
        access.allowed(who, 'manage', namespace),
      ]);
      return { read, write, manage };
    },
    async viewIssues(request, issues) {
      const who = await caller(request);
      const answers = new Map<string, Promise<boolean>>();
      const readable = (namespace: string) => {
        let answer = answers.get(namespace);
        if (!answer) {
          answer = access.allowed(who, 'read', namespace);
          answers.set(namespace, answer);
        }
        return answer;
      };
      const shown = await Promise.all(
        issues.map(async (issue) => {
          // The issue itself was readable, so is everything in its namespace.
          answers.set(issue.namespace, Promise.resolve(true));
          const keep = async (relation: Relation, other: Relation['source']) =>
            other === undefined || (await readable(other.namespace)) ? relation : undefined;
          const from = await Promise.all(issue.relatedFrom.map((r) => keep(r, r.target)));
          const to = await Promise.all(issue.relatedTo.map((r) => keep(r, r.source)));
          const relatedFrom = from.filter((r): r is Relation => r !== undefined);
          const relatedTo = to.filter((r): r is Relation => r !== undefined);
          const hidden =
            issue.relatedFrom.length +
            issue.relatedTo.length -
            relatedFrom.length -
            relatedTo.length;
          if (hidden === 0) return issue;
          return {
            ...issue,
            relatedFrom,
            relatedTo,
            hiddenRelations: {
              count: hidden,
              message: `${hidden} related issue${hidden === 1 ? '' : 's'} you cannot see`,
            },
          };
        }),
      );
      return shown.map((issue) => placed(issue, names.local));
    },
    async readScope(request, requested, clusters) {
      return readScope(access, names, () => store.namespaces(), {
        caller: await caller(request),
        namespaces: requested,
        clusters,
        leftOut: (cluster) => {
          const known = left.get(request) ?? new Set<string>();
          known.add(cluster);
          left.set(request, known);
        },
      });
    },
  };
}

/**
 * The issue as answers show it: its place key split into `cluster` and `namespace`,
 * on the issue and on each related issue.
 */
function placed(issue: Issue, local: string): Issue {
  const split = <T extends { namespace: string }>(item: T): T & { cluster: string } => ({
    ...item,
    ...placeOf(item.namespace, local),
  });
  const relation = (r: Relation): Relation => ({
    ...r,
    ...(r.source ? { source: split(r.source) } : {}),
    ...(r.target ? { target: split(r.target) } : {}),
  });
  return {
    ...split(issue),
    relatedFrom: issue.relatedFrom.map(relation),
    relatedTo: issue.relatedTo.map(relation),
  };
}

/** The options of a plugin of routes: its stores, and the guard of every route. */
export type GuardedRoutes<Stores> = FastifyPluginAsyncTypebox<Stores & { guard: Guard }>;

/**
 * The checks of a namespace's routes: `check`, the caller may read the namespace; `one`,
 * and what `read` finds there exists. Either failing answers the same 404 `notFound`.
 */
export function namespaceReader(guard: Guard, notFound: string) {
  const check = (request: FastifyRequest, namespace: string) =>
    guard.requireReadable(request, namespace, { notFound });
  const one = async <T>(
    request: FastifyRequest,
    namespace: string,
    read: () => Promise<T | undefined>,
  ): Promise<T> => {
    await check(request, namespace);
    return found(await read(), notFound);
  };
  return { check, one };
}

/**
 * A namespace name no issue is in, checked for an unknown id so that it costs what a
 * foreign one does; derived from the id, so each unknown id costs one first review as
 * each unseen namespace does.
 */
function unknownIssueNamespace(id: string): string {
  return `kite-unknown-${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
}
