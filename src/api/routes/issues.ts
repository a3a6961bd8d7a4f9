/**
 * `/api/v1/issues`: the v1 contract (list, create, read, update, delete, resolve,
 * relations) plus counts and the per-issue timeline.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { InputError, NotFoundError } from '../../domain/errors.js';
import type { Issue } from '../../domain/issue.js';
import { DEFAULT_SORT } from '../../domain/issue-sort.js';
import { parseLabelSelector } from '../../domain/label-selector.js';
import { decodeCursor, encodeCursor } from '../../domain/page-cursor.js';
import type { IssueFilter } from '../../store/issue-filter.js';
import type { IssueStore } from '../../store/issue-store.js';
import type { SilenceStore } from '../../store/silence-store.js';
import type { GroupStore } from '../../store/root-cause-groups.js';
import type { Guard } from '../guard.js';
import { issueViewer } from '../issue-view.js';
import {
  CountQuerySchema,
  CountsAnswerSchema,
  ErrorSchema,
  EventSchema,
  IdParams,
  IssueCreateSchema,
  IssueSchema,
  IssueUpdateSchema,
  ListQuerySchema,
  MessageSchema,
  MAX_LIST_OFFSET,
  MAX_SEVERITY_OFFSET,
  PageQuery,
  RelatedParams,
  issuePageOf,
  pageOf,
  type CountQuery,
} from '../schemas.js';
import { NO_CONTENT, ROUTE_ERRORS } from '../route-answers.js';

const errors = ROUTE_ERRORS;
const tags = ['issues'];

export interface IssueRouteOptions {
  store: IssueStore;
  /** Marks answered issues with the silence that mutes them; counts silenced issues. */
  silences: SilenceStore;
  guard: Guard;
  /** Each answered issue shows its root-cause group: one lookup per answer, not per issue. */
  groups: Pick<GroupStore, 'ofIssues'>;
}

export const issueRoutes: FastifyPluginAsyncTypebox<IssueRouteOptions> = async (
  app,
  { store, silences, guard, groups },
) => {
  const viewAll = issueViewer(guard, silences, groups);
  const view = async (request: Parameters<Guard['caller']>[0], issue: Issue) =>
    (await viewAll(request, [issue]))[0] ?? issue;

  const filterOf = async (
    request: Parameters<Guard['caller']>[0],
    query: CountQuery,
  ): Promise<IssueFilter> => ({
    namespaces: await guard.readScope(request, query.namespace, query.cluster),
    severity: query.severity,
    issueType: query.issueType,
    state: query.state,
    resourceType: query.resourceType,
    resourceName: query.resourceName,
    search: query.search,
    labels: query.labelSelector ? parseLabelSelector(query.labelSelector) : undefined,
    dueBefore: query.dueBefore,
    hasMigration: query.hasMigration,
  });

  app.get(
    '/api/v1/issues',
    {
      schema: {
        tags,
        summary: 'List issues, newest first unless `sort` says otherwise',
        querystring: ListQuerySchema,
        response: { 200: issuePageOf(IssueSchema), ...errors },
      },
    },
    async (request) => {
      const { limit, offset, cursor, sort = DEFAULT_SORT, ...query } = request.query;
      // An empty value means "not given", as on every parameter (konflux-ui sends `key=`).
      if (offset > MAX_LIST_OFFSET)
        throw new InputError(
          `offset: at most ${MAX_LIST_OFFSET}; page further with cursor, passing the "next" of the page before`,
          { field: 'offset', max: MAX_LIST_OFFSET },
        );
      if (sort === '-severity' && offset > MAX_SEVERITY_OFFSET)
        throw new InputError(
          `offset: at most ${MAX_SEVERITY_OFFSET} with sort=-severity; page further with cursor, passing the "next" of the page before`,
          { field: 'offset', max: MAX_SEVERITY_OFFSET },
        );
      const after = cursor ? decodeCursor(cursor, sort) : undefined;
      if (after && offset > 0)
        throw new InputError('cursor: give either cursor or offset, not both', {
          field: 'cursor',
        });
      const filter = await filterOf(request, query);
      const reads = (await guard.mayReadReplica(request)) ? store.replica : store;
      const page = await reads.list(filter, { limit, offset, sort, ...(after ? { after } : {}) });
      const data = await viewAll(request, page.data);
      return { ...page, data, next: page.next ? encodeCursor(page.next, sort) : null };
    },
  );

  app.get(
    '/api/v1/issues/counts',
    {
      schema: {
        tags,
        summary: 'Counts by severity, type and state in one call, and how many are silenced',
        querystring: CountQuerySchema,
        response: { 200: CountsAnswerSchema, ...errors },
      },
    },
    async (request) => {
      const filter = await filterOf(request, request.query);
      const reads = (await guard.mayReadReplica(request)) ? store.replica : store;
      const [counts, { silenced, estimate }] = await Promise.all([
        reads.count(filter),
        silences.countSilenced(filter),
      ]);
      return { ...counts, silenced, ...(estimate ? { silencedIsEstimate: true as const } : {}) };
    },
  );

  app.post(
    '/api/v1/issues',
    {
      schema: {
        tags,
        summary: 'Create an issue (an active issue with the same identity is updated instead)',
        querystring: Type.Object({ namespace: Type.Optional(Type.String()) }),
        body: IssueCreateSchema,
        response: { 201: IssueSchema, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      assertSameNamespace(request.query.namespace, body.namespace);
      // The place on the named cluster, by default the caller's own (docs/multi-cluster.md).
      const place = await guard.place(request, body.namespace, body.cluster);
      await guard.requireNamespace(request, 'write', place);
      const { issue } = await store.report({
        namespace: place,
        issueType: body.issueType,
        scope: {
          resourceType: body.scope.resourceType,
          resourceName: body.scope.resourceName,
          resourceNamespace: body.scope.resourceNamespace || body.namespace,
        },
        title: body.title,
        description: body.description,
        severity: body.severity,
        state: body.state,
        links: body.links,
        labels: body.labels,
        ...(body.dueAt ? { dueAt: body.dueAt } : {}),
        ...(body.migration ? { migration: body.migration } : {}),
      });
      return reply.code(201).send(await view(request, issue));
    },
  );

  app.get(
    '/api/v1/issues/:id',
    {
      schema: {
        tags,
        summary: 'Read one issue',
        params: IdParams,
        response: { 200: IssueSchema, ...errors },
      },
    },
    async (request) => {
      await guard.requireIssue(request, request.params.id, 'read');
      return view(request, found(await store.get(request.params.id)));
    },
  );

  app.put(
    '/api/v1/issues/:id',
    {
      schema: {
        tags,
        summary: 'Update an issue',
        params: IdParams,
        body: IssueUpdateSchema,
        response: { 200: IssueSchema, 409: ErrorSchema, ...errors },
      },
    },
    async (request) => {
      await guard.requireIssue(request, request.params.id, 'write');
      return view(request, await store.update(request.params.id, request.body));
    },
  );

  app.delete(
    '/api/v1/issues/:id',
    {
      schema: {
        tags,
        summary: 'Delete an issue with its links, relations and timeline',
        params: IdParams,
        response: NO_CONTENT,
      },
    },
    async (request, reply) => {
      await guard.requireIssue(request, request.params.id, 'write');
      await store.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/issues/:id/resolve',
    {
      schema: {
        tags,
        summary: 'Resolve an issue',
        params: IdParams,
        response: { 200: IssueSchema, ...errors },
      },
    },
    async (request) => {
      await guard.requireIssue(request, request.params.id, 'write');
      return view(request, await store.resolve(request.params.id));
    },
  );

  app.get(
    '/api/v1/issues/:id/events',
    {
      schema: {
        tags,
        summary:
          "An issue's timeline: every report, reopening, update and resolution, newest first",
        params: IdParams,
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(EventSchema), ...errors },
      },
    },
    async (request) => {
      await guard.requireIssue(request, request.params.id, 'read');
      return store.events(request.params.id, request.query);
    },
  );

  app.post(
    '/api/v1/issues/:id/related',
    {
      schema: {
        tags,
        summary: 'Relate two issues',
        params: IdParams,
        body: Type.Object({ relatedId: Type.String({ format: 'uuid' }) }),
        response: { 201: MessageSchema, 409: ErrorSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { relatedId } = request.body;
      if (id === relatedId)
        throw new InputError('An issue cannot be related to itself', { field: 'relatedId' });
      await guard.requireIssue(request, id, 'write');
      await guard.requireIssue(request, relatedId, 'read');
      await store.relate(id, relatedId);
      return reply.code(201).send({ message: 'Issues related' });
    },
  );

  app.delete(
    '/api/v1/issues/:id/related/:relatedId',
    {
      schema: {
        tags,
        summary: 'Remove the relation between two issues',
        params: RelatedParams,
        response: NO_CONTENT,
      },
    },
    async (request, reply) => {
      await guard.requireIssue(request, request.params.id, 'write');
      await guard.requireIssue(request, request.params.relatedId, 'read');
      await store.unrelate(request.params.id, request.params.relatedId);
      return reply.code(204).send(null);
    },
  );
};

function found<T>(value: T | undefined): T {
  // Deleted between the permission check and the read.
  if (value === undefined) throw new NotFoundError('Issue not found');
  return value;
}

export function assertSameNamespace(query: string | undefined, body: string): void {
  if (query !== undefined && query !== '' && query !== body) {
    throw new InputError('The namespace query parameter and the body namespace differ', {
      field: 'namespace',
      query,
      body,
    });
  }
}
