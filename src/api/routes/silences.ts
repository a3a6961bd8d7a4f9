/**
 * Silences of a namespace (docs/silences.md): create, list, read and expire. Reading
 * needs `read` in the namespace (otherwise 404, as for one that holds nothing), writing
 * also `manage` (otherwise 403). Expiring is a POST, as Alertmanager's expire: nothing is
 * deleted, the silence ends now and stays listed as expired.
 */
import { Type } from 'typebox';
import { StringEnum } from '../../domain/string-enum.js';
import { SILENCE_STATES, checkMatchers, checkSilenceTimes } from '../../domain/silence.js';
import type { SilenceStore } from '../../store/silence-store.js';
import { namespaceReader, type GuardedRoutes } from '../guard.js';
import {
  ErrorSchema,
  IssueTypeSchema,
  LabelsSchema,
  NamespaceName,
  PageQuery,
  SeveritySchema,
  VISIBLE_TEXT_PATTERN,
  pageOf,
} from '../schemas.js';

const Timestamp = Type.String({ format: 'date-time' });
const Value = Type.String({ minLength: 1, maxLength: 253 });

export const SilenceMatchersSchema = Type.Object(
  {
    severity: Type.Optional(SeveritySchema),
    issueType: Type.Optional(IssueTypeSchema),
    resourceType: Type.Optional(Value),
    resourceName: Type.Optional(Value),
    labels: Type.Optional(LabelsSchema),
  },
  {
    additionalProperties: false,
    description: 'equalities that must all hold; labels: the issue carries each of them',
  },
);

export const SilenceCreateSchema = Type.Object(
  {
    matchers: SilenceMatchersSchema,
    startsAt: Type.Optional(
      Type.String({ format: 'date-time', description: 'absent or past: now' }),
    ),
    endsAt: Timestamp,
    comment: Type.String({ minLength: 1, maxLength: 1024, pattern: VISIBLE_TEXT_PATTERN }),
  },
  { additionalProperties: false },
);

export const SilenceSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  namespace: Type.String(),
  matchers: SilenceMatchersSchema,
  startsAt: Timestamp,
  endsAt: Timestamp,
  state: StringEnum(SILENCE_STATES),
  createdBy: Type.String(),
  createdAt: Timestamp,
  comment: Type.String(),
  expiredBy: Type.Optional(Type.String()),
});

export const SilenceListQuery = Type.Object({
  state: Type.Optional(StringEnum(SILENCE_STATES)),
  ...PageQuery,
});

const NamespaceParams = Type.Object({ namespace: NamespaceName() });
const SilenceParams = Type.Object({ namespace: NamespaceName(), id: Type.String() });

const errors = { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 503: ErrorSchema };
const tags = ['silences'];
const NOT_FOUND = 'Silence not found';

export const silenceRoutes: GuardedRoutes<{ silences: SilenceStore }> = async (
  app,
  { silences, guard },
) => {
  const { check: readable, one } = namespaceReader(guard, NOT_FOUND);

  app.post(
    '/api/v1/namespaces/:namespace/silences',
    {
      schema: {
        tags,
        summary: "Silence the namespace's issues that match, from startsAt to endsAt",
        params: NamespaceParams,
        body: SilenceCreateSchema,
        response: { 201: SilenceSchema, 403: ErrorSchema, 409: ErrorSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { namespace } = request.params;
      await readable(request, namespace);
      await guard.requireNamespace(request, 'manage', namespace);
      const { matchers, startsAt, endsAt, comment } = request.body;
      checkMatchers(matchers);
      checkSilenceTimes(startsAt, endsAt, new Date());
      const who = await guard.caller(request);
      const silence = await silences.create(
        { namespace, matchers, endsAt, comment, ...(startsAt ? { startsAt } : {}) },
        who.name,
      );
      return reply.code(201).send(silence);
    },
  );

  app.get(
    '/api/v1/namespaces/:namespace/silences',
    {
      schema: {
        tags,
        summary: "The namespace's silences, newest first, expired ones included",
        params: NamespaceParams,
        querystring: SilenceListQuery,
        response: { 200: pageOf(SilenceSchema), ...errors },
      },
    },
    async (request) => {
      const { namespace } = request.params;
      await readable(request, namespace);
      return silences.list({ namespaces: [namespace], ...request.query });
    },
  );

  app.get(
    '/api/v1/silences',
    {
      schema: {
        tags,
        summary: 'The silences of every namespace the caller may read, newest first',
        querystring: SilenceListQuery,
        response: { 200: pageOf(SilenceSchema), 403: ErrorSchema, ...errors },
      },
    },
    async (request) =>
      silences.list({ namespaces: await guard.readScope(request, undefined), ...request.query }),
  );

  app.get(
    '/api/v1/namespaces/:namespace/silences/:id',
    {
      schema: {
        tags,
        summary: 'Read one silence',
        params: SilenceParams,
        response: { 200: SilenceSchema, ...errors },
      },
    },
    async (request) => {
      const { namespace, id } = request.params;
      return one(request, namespace, () => silences.get(namespace, id));
    },
  );

  app.post(
    '/api/v1/namespaces/:namespace/silences/:id/expire',
    {
      schema: {
        tags,
        summary: 'End a silence now (kept, listed as expired); an ended one is unchanged',
        params: SilenceParams,
        response: { 200: SilenceSchema, 403: ErrorSchema, ...errors },
      },
    },
    async (request) => {
      const { namespace, id } = request.params;
      return one(request, namespace, async () => {
        await guard.requireNamespace(request, 'manage', namespace);
        const who = await guard.caller(request);
        return silences.expire(namespace, id, who.name);
      });
    },
  );
};
