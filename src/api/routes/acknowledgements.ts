/**
 * `/api/v1/issues/:id/acknowledge` (docs/silences.md): a caller who may read the issue
 * and `manage` in its namespace acknowledges it (who, when, an optional note and
 * `until`) or takes the acknowledgement back. Both write the issue's timeline.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { NotFoundError } from '../../domain/errors.js';
import type { Issue } from '../../domain/issue.js';
import { checkUntil } from '../../domain/silence.js';
import type { AcknowledgementStore } from '../../store/acknowledgements.js';
import type { FastifyRequest } from 'fastify';
import type { Guard } from '../guard.js';
import type { IssueViewer } from '../issue-view.js';
import { ROUTE_ERRORS } from '../route-answers.js';
import { IdParams, IssueSchema } from '../schemas.js';

export const AcknowledgeSchema = Type.Object(
  {
    note: Type.Optional(Type.String({ maxLength: 1024 })),
    until: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'after it, the issue reads as not acknowledged',
      }),
    ),
  },
  { additionalProperties: false },
);

export interface AcknowledgementRouteOptions {
  acknowledgements: AcknowledgementStore;
  guard: Guard;
  view: IssueViewer;
}

const tags = ['issues'];

export const acknowledgementRoutes: FastifyPluginAsyncTypebox<AcknowledgementRouteOptions> = async (
  app,
  { acknowledgements, guard, view },
) => {
  const answer = async (request: FastifyRequest, issue: Issue | undefined) => {
    // Deleted between the permission check and the write.
    if (issue === undefined) throw new NotFoundError('Issue not found');
    return (await view(request, [issue]))[0] ?? issue;
  };

  app.post(
    '/api/v1/issues/:id/acknowledge',
    {
      schema: {
        tags,
        summary: 'Acknowledge an issue (replacing an earlier acknowledgement)',
        params: IdParams,
        body: AcknowledgeSchema,
        response: { 200: IssueSchema, ...ROUTE_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { note, until } = request.body;
      checkUntil(until, new Date());
      await guard.requireIssue(request, id, 'manage');
      const who = await guard.caller(request);
      const details = { ...(note ? { note } : {}), ...(until ? { until } : {}) };
      return answer(request, await acknowledgements.acknowledge(id, who.name, details));
    },
  );

  app.delete(
    '/api/v1/issues/:id/acknowledge',
    {
      schema: {
        tags,
        summary: "Take back an issue's acknowledgement",
        params: IdParams,
        response: { 200: IssueSchema, ...ROUTE_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      await guard.requireIssue(request, id, 'manage');
      const who = await guard.caller(request);
      return answer(request, await acknowledgements.unacknowledge(id, who.name));
    },
  );
};
