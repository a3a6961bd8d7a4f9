/**
 * The HTTP schemas of root-cause groups (docs/root-cause-groups.md): the group as one
 * caller may see it, its list query and the split and merge bodies.
 */
import { Type, type Static } from 'typebox';
import { FAILURE_CLASSES } from '../domain/failure-signature.js';
import { StringEnum } from '../domain/string-enum.js';
import {
  ClustersQuery,
  CVE_PATTERN,
  IssueTypeSchema,
  NamespacesQuery,
  PageQuery,
  StateSchema,
  Timestamp,
  Uuid,
} from './schemas.js';

export const FailureClassSchema = StringEnum(FAILURE_CLASSES);

export const GroupMemberSchema = Type.Object({
  issueId: Uuid,
  namespace: Type.String(),
  component: Type.String({ description: "the issue's scope (resource) name" }),
  issueType: IssueTypeSchema,
  title: Type.String(),
  state: StateSchema,
  signature: Type.Union([Type.String(), Type.Null()], {
    description: "the normalised failure signature of the member's latest failure report",
  }),
  failureClass: Type.Union([FailureClassSchema, Type.Null()]),
  reason: Type.Object(
    {
      kind: StringEnum(['signature', 'cve', 'dependency'] as const),
      value: Type.String(),
    },
    { description: 'why it is in the group: the signature, CVE or dependency it shares' },
  ),
  joinedAt: Timestamp,
});

export const GroupSchema = Type.Object({
  id: Uuid,
  state: StateSchema,
  size: Type.Integer({ description: 'every member, including those the caller cannot see' }),
  recovered: Type.Integer({ description: 'members resolved, of `size`' }),
  progress: Type.String({ description: 'e.g. "9 of 15 recovered"' }),
  namespaces: Type.Array(Type.String(), { description: 'of the members the caller may see' }),
  components: Type.Array(Type.String()),
  signatures: Type.Array(Type.String()),
  failureClasses: Type.Array(FailureClassSchema),
  cves: Type.Array(Type.String()),
  dependencies: Type.Array(Type.String()),
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
  resolvedAt: Type.Union([Timestamp, Type.Null()]),
  hidden: Type.Optional(
    Type.Object(
      { count: Type.Integer(), message: Type.String() },
      {
        description:
          'members in namespaces the caller may not read: counted, never shown ("and 9 more in namespaces you cannot see")',
      },
    ),
  ),
  members: Type.Optional(
    Type.Array(GroupMemberSchema, { description: 'the members the caller may see (by id only)' }),
  ),
});

export const GroupListQuery = Type.Object({
  namespace: NamespacesQuery,
  cluster: ClustersQuery,
  state: Type.Optional(StateSchema),
  cve: Type.Optional(Type.String({ pattern: CVE_PATTERN, description: 'e.g. CVE-2024-3094' })),
  dependency: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  failureClass: Type.Optional(FailureClassSchema),
  ...PageQuery,
});

export const GroupPageSchema = Type.Object({
  data: Type.Array(GroupSchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const SplitBody = Type.Object({ issueId: Uuid }, { additionalProperties: false });
export const MergeBody = Type.Object({ groupId: Uuid }, { additionalProperties: false });

export type GroupListQueryType = Static<typeof GroupListQuery>;
