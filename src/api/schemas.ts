/**
 * The HTTP schemas: one source for request validation, response serialization, handler
 * types (`Static<>`) and the OpenAPI document.
 */
import { Type, type Static } from 'typebox';
import { ISSUE_TYPES, SEVERITIES, STATES } from '../domain/issue.js';
import { ISSUE_SORTS } from '../domain/issue-sort.js';
import { CLUSTER_NAME_PATTERN } from '../domain/place.js';
import { StringEnum } from '../domain/string-enum.js';
import { SUBSCRIPTION_PATTERN_MEANINGS } from '../domain/subscription.js';
import {
  ClusterName,
  HTTP_URL_PATTERN,
  LabelsSchema,
  NAMESPACE_PATTERN,
  NamespaceName,
} from '../domain/value-schemas.js';

export {
  HTTP_URL_PATTERN,
  LabelsSchema,
  NAMESPACE_PATTERN,
  NamespaceName,
} from '../domain/value-schemas.js';

export const SeveritySchema = StringEnum(SEVERITIES);
export const IssueTypeSchema = StringEnum(ISSUE_TYPES);
export const StateSchema = StringEnum(STATES);

const NAMESPACE_OR_EMPTY_PATTERN = '^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)?$';
/** Text with at least one visible character: a title of spaces names nothing. */
export const VISIBLE_TEXT_PATTERN = '\\S';
/**
 * Link targets a browser may follow safely: an absolute http(s) URL or a path on this
 * server (`/api/v1/…`, the links KITE makes itself); never `javascript:`, `data:` or `//host`.
 */
export const LINK_URL_PATTERN = '^([Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+|/(?![/\\\\]))[^\\s]*$';

/** A CVE id (any case; stored upper case). */
export const CVE_PATTERN = '^[Cc][Vv][Ee]-[0-9]{4}-[0-9]{4,}$';

/** What a pattern means, for error messages (src/api/error-handler.ts). */
export const PATTERN_MEANINGS: Readonly<Record<string, string>> = {
  [NAMESPACE_PATTERN]:
    'must be a Kubernetes namespace name (lowercase letters, digits and "-", at most 63 characters)',
  [NAMESPACE_OR_EMPTY_PATTERN]:
    'must be empty or a Kubernetes namespace name (lowercase letters, digits and "-", at most 63 characters)',
  [CLUSTER_NAME_PATTERN]:
    'must be a cluster name (lowercase letters, digits and "-", at most 63 characters)',
  [VISIBLE_TEXT_PATTERN]: 'must contain visible text',
  [LINK_URL_PATTERN]: 'must be an http(s) URL or a path starting with "/"',
  [HTTP_URL_PATTERN]: 'must be an http(s) URL',
  ...SUBSCRIPTION_PATTERN_MEANINGS,
  [CVE_PATTERN]: 'must be a CVE id such as CVE-2024-3094',
};

export const Timestamp = Type.String({ format: 'date-time' });
export const Uuid = Type.String({ format: 'uuid' });
const Name = Type.String({ minLength: 1, maxLength: 1024 });

export const ErrorSchema = Type.Object({
  error: Type.String(),
  details: Type.Optional(Type.Unknown()),
});

const RelatedIssueSchema = Type.Object({
  id: Uuid,
  title: Type.String(),
  severity: SeveritySchema,
  state: StateSchema,
  namespace: Type.String(),
  cluster: Type.Optional(Type.String()),
});
const RelationSchema = Type.Object({
  id: Uuid,
  sourceId: Uuid,
  targetId: Uuid,
  sourceID: Uuid,
  targetID: Uuid,
  source: Type.Optional(RelatedIssueSchema),
  target: Type.Optional(RelatedIssueSchema),
});
const LinkSchema = Type.Object({
  id: Uuid,
  title: Type.String(),
  url: Type.String(),
  issueId: Uuid,
});

const MigrationSchema = Type.Object(
  {
    required: Type.Boolean({ description: 'whether moving to the new version needs changes' }),
    url: Type.Union([Type.String(), Type.Null()], {
      description: "the new version's migration guide (MIGRATION.md), an http(s) URL",
    }),
  },
  { description: 'what moving to the newer version needs (task-update issues)' },
);
const MigrationInputSchema = Type.Object(
  {
    required: Type.Boolean(),
    url: Type.Union([
      Type.String({ minLength: 1, maxLength: 4096, pattern: HTTP_URL_PATTERN }),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);
const DueAtInput = Type.String({
  format: 'date-time',
  description: 'RFC 3339: when the issue becomes due (a task bundle expiry)',
});

export const AcknowledgementSchema = Type.Object(
  {
    by: Type.String(),
    at: Timestamp,
    note: Type.Optional(Type.String()),
    until: Type.Optional(Timestamp),
  },
  { description: 'present while the issue is acknowledged (docs/silences.md)' },
);

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
  cluster: Type.Optional(
    Type.String({
      description:
        'the cluster the issue belongs to (every answer has it; "local" on a single-cluster server)',
    }),
  ),
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
  hiddenRelations: Type.Optional(
    Type.Object(
      { count: Type.Integer(), message: Type.String() },
      {
        description:
          'relations to issues the caller may not read: counted, never identified ("1 related issue you cannot see")',
      },
    ),
  ),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  occurrences: Type.Integer({ description: 'how many times the problem was reported' }),
  lastSeenAt: Timestamp,
  group: Type.Optional(
    Type.Object(
      { id: Uuid, size: Type.Integer() },
      {
        description:
          'the root-cause group the issue is in (docs/root-cause-groups.md): `size` counts every member, seen or not',
      },
    ),
  ),
  labels: Type.Record(Type.String(), Type.String()),
  dueAt: Type.Union([Timestamp, Type.Null()], {
    description: 'when the issue becomes due (a task-update: its bundle expires); null: never',
  }),
  migration: Type.Union([MigrationSchema, Type.Null()]),
  silencedBy: Type.Optional(
    Type.String({
      format: 'uuid',
      description: 'the active silence that mutes its notifications (docs/silences.md)',
    }),
  ),
  acknowledgement: Type.Optional(AcknowledgementSchema),
});

const LinkInputSchema = Type.Object({
  title: Name,
  url: Type.String({ minLength: 1, maxLength: 4096, pattern: LINK_URL_PATTERN }),
});

const Title = Type.String({ minLength: 1, maxLength: 1024, pattern: VISIBLE_TEXT_PATTERN });
/** The one description cap: `/issues` refuses more, webhooks truncate (src/domain/webhook-engine.ts). */
export const DESCRIPTION_MAX = 65536;

export const IssueCreateSchema = Type.Object({
  title: Title,
  description: Type.String({ maxLength: DESCRIPTION_MAX }),
  severity: SeveritySchema,
  issueType: IssueTypeSchema,
  namespace: NamespaceName(),
  cluster: Type.Optional(ClusterName()),
  state: Type.Optional(StateSchema),
  scope: Type.Object({
    resourceType: Name,
    resourceName: Name,
    resourceNamespace: Type.Optional(
      Type.String({
        pattern: NAMESPACE_OR_EMPTY_PATTERN,
        description: "the resource's namespace; empty or absent: the issue's",
      }),
    ),
  }),
  links: Type.Optional(Type.Array(LinkInputSchema, { maxItems: 50 })),
  labels: Type.Optional(LabelsSchema),
  dueAt: Type.Optional(DueAtInput),
  migration: Type.Optional(MigrationInputSchema),
});

export const IssueUpdateSchema = Type.Object({
  title: Type.Optional(Title),
  description: Type.Optional(Type.String({ maxLength: DESCRIPTION_MAX })),
  severity: Type.Optional(SeveritySchema),
  issueType: Type.Optional(IssueTypeSchema),
  state: Type.Optional(StateSchema),
  scope: Type.Optional(
    Type.Object({
      resourceType: Type.Optional(Name),
      resourceName: Type.Optional(Name),
      resourceNamespace: Type.Optional(NamespaceName()),
    }),
  ),
  links: Type.Optional(Type.Array(LinkInputSchema, { maxItems: 50 })),
  labels: Type.Optional(LabelsSchema),
  dueAt: Type.Optional(Type.Union([DueAtInput, Type.Null()], { description: 'null clears it' })),
  migration: Type.Optional(
    Type.Union([MigrationInputSchema, Type.Null()], { description: 'null clears it' }),
  ),
});

export const NamespacesQuery = Type.Optional(
  Type.Array(NamespaceName(), {
    maxItems: 500,
    description: 'repeat to query several namespaces; omit for all namespaces the caller may read',
  }),
);

export const ClustersQuery = Type.Optional(
  Type.Array(ClusterName(), {
    maxItems: 100,
    description: 'repeat to query several clusters; omit for every cluster',
  }),
);

export const IssueFilterQuery = {
  namespace: NamespacesQuery,
  cluster: ClustersQuery,
  severity: Type.Optional(SeveritySchema),
  issueType: Type.Optional(IssueTypeSchema),
  state: Type.Optional(StateSchema),
  resourceType: Type.Optional(Type.String({ maxLength: 1024 })),
  resourceName: Type.Optional(Type.String({ maxLength: 1024 })),
  search: Type.Optional(Type.String({ maxLength: 1024 })),
  labelSelector: Type.Optional(
    Type.String({ maxLength: 2048, description: 'e.g. app=web,tier!=db' }),
  ),
  dueBefore: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'RFC 3339: only issues due before it (issues without a due date never match)',
    }),
  ),
  hasMigration: Type.Optional(
    Type.Boolean({ description: 'true: only issues with migration information; false: without' }),
  ),
};

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
};

/**
 * The deepest `offset` an issue list accepts (docs/decisions/0036-deep-offsets-and-row-tests.md): a
 * page by offset reads and discards every issue before it, so deeper pages are asked
 * for by `cursor`. The route answers a deeper offset with 400 naming `cursor`.
 */
export const MAX_LIST_OFFSET = 10_000;

/**
 * The deepest `offset` with `sort=-severity` (docs/decisions/0049-issue-list-sorts.md):
 * no index is ordered by severity, so skipping issues of one severity reads the issues
 * of every severity in between, several times `offset`.
 */
export const MAX_SEVERITY_OFFSET = 1_000;

export const ListQuerySchema = Type.Object({
  ...IssueFilterQuery,
  limit: PageQuery.limit,
  offset: Type.Integer({
    minimum: 0,
    default: 0,
    description: `at most ${MAX_LIST_OFFSET} (${MAX_SEVERITY_OFFSET} with \`sort=-severity\`); deeper pages by \`cursor\``,
  }),
  cursor: Type.Optional(
    Type.String({
      maxLength: 200,
      description: 'the `next` of the previous page: the page after it (keyset paging)',
    }),
  ),
  sort: Type.Optional(
    StringEnum(ISSUE_SORTS, {
      description:
        'the order: `-detectedAt` newest first (the default), `detectedAt` oldest first, `-severity` worst first then newest',
    }),
  ),
});
export const CountQuerySchema = Type.Object(IssueFilterQuery);
export type CountQuery = Static<typeof CountQuerySchema>;

export const IdParams = Type.Object({ id: Uuid });
export const RelatedParams = Type.Object({ id: Uuid, relatedId: Uuid });

/** The page and count answers live in answer-schemas.ts. */
export { CountsAnswerSchema, CountsSchema, issuePageOf, pageOf } from './answer-schemas.js';

export const EventSchema = Type.Object({
  id: Type.String(),
  issueId: Uuid,
  kind: Type.String(),
  at: Timestamp,
  summary: Type.String(),
  runId: Type.Union([Type.String(), Type.Null()]),
});

export const MessageSchema = Type.Object({ message: Type.String() });
