/**
 * The HTTP schemas: one source for request validation, response serialization, handler
 * types (`Static<>`) and the OpenAPI document.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { ISSUE_TYPES, SEVERITIES, STATES } from '../domain/issue.js';
import { StringEnum } from '../domain/string-enum.js';

export const SeveritySchema = StringEnum(SEVERITIES);
export const IssueTypeSchema = StringEnum(ISSUE_TYPES);
export const StateSchema = StringEnum(STATES);

const LABEL_KEY = '^[A-Za-z0-9]([A-Za-z0-9._/-]{0,315}[A-Za-z0-9])?$';
export const LabelsSchema = Type.Unsafe<Record<string, string>>({
  type: 'object',
  propertyNames: { pattern: LABEL_KEY },
  additionalProperties: { type: 'string', maxLength: 1024 },
  maxProperties: 64,
  description: 'free-form string labels (component, application, cluster, event type, …)',
});

const Timestamp = Type.String({ format: 'date-time' });
const Uuid = Type.String({ format: 'uuid' });
const Name = Type.String({ minLength: 1, maxLength: 1024 });

export const ErrorSchema = Type.Object({
  error: Type.String(),
  details: Type.Optional(Type.Unknown()),
});

const RelationSchema = Type.Object({ id: Uuid, sourceId: Uuid, targetId: Uuid });
const LinkSchema = Type.Object({
  id: Uuid,
  title: Type.String(),
  url: Type.String(),
  issueId: Uuid,
});

export const IssueSchema = Type.Object({
  id: Uuid,
  title: Type.String(),
  description: Type.String(),
  severity: SeveritySchema,
  issueType: IssueTypeSchema,
  state: StateSchema,
  detectedAt: Timestamp,
  resolvedAt: Type.Union([Timestamp, Type.Null()]),
  namespace: Type.String(),
  scopeId: Uuid,
  scope: Type.Object({
    id: Uuid,
    resourceType: Type.String(),
    resourceName: Type.String(),
    resourceNamespace: Type.String(),
  }),
  links: Type.Array(LinkSchema),
  relatedFrom: Type.Array(RelationSchema),
  relatedTo: Type.Array(RelationSchema),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  occurrences: Type.Integer({ description: 'how many times the problem was reported' }),
  lastSeenAt: Timestamp,
  labels: Type.Record(Type.String(), Type.String()),
});

const LinkInputSchema = Type.Object({
  title: Name,
  url: Type.String({ minLength: 1, maxLength: 4096 }),
});

export const IssueCreateSchema = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 1024 }),
  description: Type.String({ maxLength: 65536 }),
  severity: SeveritySchema,
  issueType: IssueTypeSchema,
  namespace: Type.String({ minLength: 1, maxLength: 253 }),
  state: Type.Optional(StateSchema),
  scope: Type.Object({
    resourceType: Name,
    resourceName: Name,
    resourceNamespace: Type.Optional(Type.String({ maxLength: 253 })),
  }),
  links: Type.Optional(Type.Array(LinkInputSchema, { maxItems: 50 })),
  labels: Type.Optional(LabelsSchema),
});

export const IssueUpdateSchema = Type.Object({
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  description: Type.Optional(Type.String({ maxLength: 65536 })),
  severity: Type.Optional(SeveritySchema),
  issueType: Type.Optional(IssueTypeSchema),
  state: Type.Optional(StateSchema),
  scope: Type.Optional(
    Type.Object({
      resourceType: Type.Optional(Name),
      resourceName: Type.Optional(Name),
      resourceNamespace: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    }),
  ),
  links: Type.Optional(Type.Array(LinkInputSchema, { maxItems: 50 })),
  labels: Type.Optional(LabelsSchema),
});

const NamespacesQuery = Type.Optional(
  Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
    maxItems: 500,
    description: 'repeat to query several namespaces; omit for all namespaces the caller may read',
  }),
);

export const IssueFilterQuery = {
  namespace: NamespacesQuery,
  severity: Type.Optional(SeveritySchema),
  issueType: Type.Optional(IssueTypeSchema),
  state: Type.Optional(StateSchema),
  resourceType: Type.Optional(Type.String({ maxLength: 1024 })),
  resourceName: Type.Optional(Type.String({ maxLength: 1024 })),
  search: Type.Optional(Type.String({ maxLength: 1024 })),
  labelSelector: Type.Optional(
    Type.String({ maxLength: 2048, description: 'e.g. app=web,tier!=db' }),
  ),
};

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
};

export const ListQuerySchema = Type.Object({ ...IssueFilterQuery, ...PageQuery });
export const CountQuerySchema = Type.Object(IssueFilterQuery);
export type CountQuery = Static<typeof CountQuerySchema>;

export const IdParams = Type.Object({ id: Uuid });
export const RelatedParams = Type.Object({ id: Uuid, relatedId: Uuid });

export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({
    data: Type.Array(item),
    total: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
  });
}

const countsOf = (keys: readonly string[]) =>
  Type.Object(Object.fromEntries(keys.map((key) => [key, Type.Integer()])));

export const CountsSchema = Type.Object({
  total: Type.Integer(),
  bySeverity: countsOf(SEVERITIES),
  byType: countsOf(ISSUE_TYPES),
  byState: countsOf(STATES),
});

export const EventSchema = Type.Object({
  id: Type.String(),
  issueId: Uuid,
  kind: Type.String(),
  at: Timestamp,
  summary: Type.String(),
  runId: Type.Union([Type.String(), Type.Null()]),
});

export const MessageSchema = Type.Object({ message: Type.String() });
