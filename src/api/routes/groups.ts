/**
 * `/api/v1/groups`: root-cause groups (docs/root-cause-groups.md). A caller sees a group
 * when they may read one of its members, sees exactly the members they may read and the
 * others as a count. Splitting needs `write` in the split member's namespace; merging
 * needs `write` in the namespace of every member of both groups
 * (docs/decisions/0059-who-may-split-and-merge-groups.md).
 */
import type { FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { InputError, NotAllowedError, NotFoundError } from '../../domain/errors.js';
import type { GroupStore, RootCauseGroup } from '../../store/root-cause-groups.js';
import type { GuardedRoutes } from '../guard.js';
import {
  GroupListQuery,
  GroupPageSchema,
  GroupSchema,
  MergeBody,
  SplitBody,
} from '../group-schemas.js';
import { found, NO_CONTENT, ROUTE_ERRORS as errors } from '../route-answers.js';
import { IdParams } from '../schemas.js';

const tags = ['groups'];

export const groupRoutes: GuardedRoutes<{ groups: GroupStore }> = async (
  app,
  { groups, guard },
) => {
  const readable = (request: FastifyRequest) => guard.readScope(request, undefined);
  const shown = async (request: FastifyRequest, id: string): Promise<RootCauseGroup> =>
    found(await groups.get(id, await readable(request)), 'Group not found');
  /** A change to one group: its id in the path, `body` sent, nothing answered. */
  const change = <Body extends TSchema>(summary: string, body: Body) => ({
    schema: { tags, summary, params: IdParams, body, response: NO_CONTENT },
  });

  app.get(
    '/api/v1/groups',
    {
      schema: {
        tags,
        summary: 'List root-cause groups with a member the caller may read, latest join first',
        querystring: GroupListQuery,
        response: { 200: GroupPageSchema, ...errors },
      },
    },
    async (request) => {
      const { limit, offset, namespace, cluster, ...filter } = request.query;
      const page = await groups.list(
        {
          ...filter,
          readable: await readable(request),
          namespaces:
            namespace?.length || cluster?.length
              ? await guard.readScope(request, namespace, cluster)
              : undefined,
        },
        { limit, offset },
      );
      return { ...page, limit, offset };
    },
  );

  app.get(
    '/api/v1/groups/:id',
    {
      schema: {
        tags,
        summary: 'A root-cause group with the members the caller may read',
        params: IdParams,
        response: { 200: GroupSchema, ...errors },
      },
    },
    async (request) => shown(request, request.params.id),
  );

  app.post(
    '/api/v1/groups/:id/split',
    change('Take a wrong member out of a group; its later reports do not bring it back', SplitBody),
    async (request, reply) => {
      const group = await shown(request, request.params.id);
      const { issueId } = request.body;
      const member = group.members?.find((m) => m.issueId === issueId);
      if (!member) throw new NotFoundError('Issue not in this group');
      await guard.requireNamespace(request, 'write', member.namespace);
      await groups.split(group.id, issueId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/groups/:id/merge',
    change('Merge another group into this one; later reports of either cause join it', MergeBody),
    async (request, reply) => {
      const { id } = request.params;
      const { groupId } = request.body;
      if (groupId === id) {
        throw new InputError('groupId: a group cannot be merged into itself', { field: 'groupId' });
      }
      await shown(request, id);
      await shown(request, groupId);
      const namespaces = new Set([
        ...((await groups.memberNamespaces(id)) ?? []),
        ...((await groups.memberNamespaces(groupId)) ?? []),
      ]);
      for (const namespace of namespaces) {
        // The message names no namespace: some may be ones the caller cannot read.
        if (!(await guard.rights(request, namespace)).write) {
          throw new NotAllowedError(
            'Not allowed to merge: some members are in namespaces where you may not change issues',
          );
        }
      }
      await groups.merge(id, groupId);
      return reply.code(204).send(null);
    },
  );
};
