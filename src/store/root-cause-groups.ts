/**
 * Reads of root-cause groups, as one caller may see them (docs/root-cause-groups.md): a
 * group is shown when it has two members or more and the caller may read at least one
 * of them; its members in other namespaces are only counted. Every text, name and
 * timestamp of a group view comes from visible members; the size and progress count
 * every member, as numbers only.
 */
import type { FailureClass } from '../domain/failure-signature.js';
import type { IssueState, IssueType } from '../domain/issue.js';
import type { Database } from './database.js';
import { groupEdits, type GroupEdits } from './root-cause-edits.js';

export type ReasonKind = 'signature' | 'cve' | 'dependency';

/** One member as a reader of its namespace sees it, and why it is in the group. */
export interface GroupMember {
  issueId: string;
  namespace: string;
  component: string;
  issueType: IssueType;
  title: string;
  state: IssueState;
  signature: string | null;
  failureClass: FailureClass | null;
  reason: { kind: ReasonKind; value: string };
  joinedAt: string;
}

export interface RootCauseGroup {
  id: string;
  state: IssueState;
  /** Every member, seen or not. */
  size: number;
  recovered: number;
  progress: string;
  /** Of the visible members: */
  namespaces: string[];
  components: string[];
  signatures: string[];
  failureClasses: FailureClass[];
  cves: string[];
  dependencies: string[];
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  hidden?: { count: number; message: string };
  members?: GroupMember[];
}

export interface GroupFilter {
  /** What the caller may read (undefined: every namespace). */
  readable: string[] | undefined;
  /** Only groups with a member in these (already checked readable) namespaces. */
  namespaces?: string[] | undefined;
  state?: IssueState | undefined;
  cve?: string | undefined;
  dependency?: string | undefined;
  failureClass?: FailureClass | undefined;
}

export interface GroupStore extends GroupEdits {
  list(
    filter: GroupFilter,
    page: { limit: number; offset: number },
  ): Promise<{ data: RootCauseGroup[]; total: number }>;
  /** The group with its visible members; undefined when unknown, hidden or a singleton. */
  get(id: string, readable: string[] | undefined): Promise<RootCauseGroup | undefined>;
  /** The shown group of each of these issues: `{id, size}` by issue id. */
  ofIssues(issueIds: string[]): Promise<Map<string, { id: string; size: number }>>;
}

/**
 * The filters of a group list: on the group ($1 readable, $2 namespaces, $3 state), and,
 * only when one is given, on the visible members' text ($4 CVE, $5 dependency, $6 class).
 * That one looks each member up by primary key (the LATERAL): joined as a set, the
 * planner scanned the whole issues index once per query (50 s at 1M issues,
 * bench/groups-phase.ts); left in the statement with null values, it still cost a plain
 * page tens of milliseconds.
 */
const ON_GROUP = `g.size >= 2
  AND ($1::text[] IS NULL OR g.namespaces && $1::text[])
  AND ($2::text[] IS NULL OR g.namespaces && $2::text[])
  AND ($3::text IS NULL OR g.state = $3::text)`;
const ON_MEMBERS = `${ON_GROUP} AND EXISTS (
    SELECT 1 FROM root_cause_members m
    CROSS JOIN LATERAL (
      SELECT 1 FROM issues i WHERE i.id = m.issue_id
        AND ($4::text IS NULL OR (i.cves IS NOT NULL AND i.cves @> ARRAY[$4::text]))
        AND ($5::text IS NULL OR i.dependency = $5::text)
        AND ($6::text IS NULL OR i.failure_class = $6::text)
      LIMIT 1) i
    WHERE m.group_id = g.id AND ($1::text[] IS NULL OR m.namespace = ANY($1::text[])))`;

const GROUP_COLUMNS = `g.id, g.state, g.size, g.active, g.first_seen_at, g.resolved_at`;

const listOf = (where: string, params: number) => ({
  list: `SELECT ${GROUP_COLUMNS} FROM root_cause_groups g WHERE ${where}
  ORDER BY g.last_joined_at DESC, g.id LIMIT $${params + 1} OFFSET $${params + 2}`,
  count: `SELECT count(*)::int AS total FROM root_cause_groups g WHERE ${where}`,
});
const BY_GROUP = listOf(ON_GROUP, 3);
const BY_MEMBERS = listOf(ON_MEMBERS, 6);
const GET = `SELECT ${GROUP_COLUMNS} FROM root_cause_groups g
  WHERE g.id = $1 AND g.size >= 2 AND ($2::text[] IS NULL OR g.namespaces && $2::text[])`;

/** Each member's issue by primary key (LIMIT 1 keeps the planner from a whole-table join). */
const MEMBERS = `SELECT m.group_id, m.issue_id, m.namespace, m.reason_kind, m.reason, m.joined_at,
    i.scope_name, i.issue_type, i.title, i.state, i.signature_key, i.failure_class, i.cves,
    i.dependency, i.detected_at, i.last_seen_at
  FROM root_cause_members m CROSS JOIN LATERAL (
    SELECT * FROM issues WHERE issues.id = m.issue_id LIMIT 1) i
  WHERE m.group_id = ANY($1::uuid[]) AND ($2::text[] IS NULL OR m.namespace = ANY($2::text[]))
  ORDER BY m.namespace, i.scope_name, m.issue_id`;

const OF_ISSUES = `SELECT m.issue_id, g.id, g.size FROM root_cause_members m
  JOIN root_cause_groups g ON g.id = m.group_id
  WHERE m.issue_id = ANY($1::uuid[]) AND g.size >= 2`;

interface GroupRow {
  id: string;
  state: IssueState;
  size: number;
  active: number;
  first_seen_at: Date;
  resolved_at: Date | null;
}

interface MemberRow {
  group_id: string;
  issue_id: string;
  namespace: string;
  reason_kind: ReasonKind;
  reason: string;
  joined_at: Date;
  scope_name: string;
  issue_type: IssueType;
  title: string;
  state: IssueState;
  signature_key: string | null;
  failure_class: FailureClass | null;
  cves: string[] | null;
  dependency: string | null;
  detected_at: Date;
  last_seen_at: Date;
}

export function createGroupStore(db: Database): GroupStore {
  const view = async (rows: GroupRow[], readable: string[] | undefined, withMembers: boolean) => {
    if (rows.length === 0) return [];
    const members = await db.query<MemberRow>(MEMBERS, [
      rows.map((row) => row.id),
      readable ?? null,
    ]);
    const byGroup = new Map<string, MemberRow[]>();
    for (const member of members.rows) {
      const list = byGroup.get(member.group_id);
      if (list) list.push(member);
      else byGroup.set(member.group_id, [member]);
    }
    return rows.map((row) => toGroup(row, byGroup.get(row.id) ?? [], withMembers));
  };
  return {
    ...groupEdits(db),
    async list(filter, page) {
      const onGroup = [filter.readable ?? null, filter.namespaces ?? null, filter.state ?? null];
      const onMembers = [
        filter.cve?.toUpperCase() ?? null,
        filter.dependency ?? null,
        filter.failureClass ?? null,
      ];
      const byMembers = onMembers.some((value) => value !== null);
      const statements = byMembers ? BY_MEMBERS : BY_GROUP;
      const params = byMembers ? [...onGroup, ...onMembers] : onGroup;
      const [rows, count] = await Promise.all([
        db.query<GroupRow>(statements.list, [...params, page.limit, page.offset]),
        db.query<{ total: number }>(statements.count, params),
      ]);
      return {
        data: await view(rows.rows, filter.readable, false),
        total: count.rows[0]?.total ?? 0,
      };
    },
    async get(id, readable) {
      const rows = await db.query<GroupRow>(GET, [id, readable ?? null]);
      return (await view(rows.rows, readable, true))[0];
    },
    async ofIssues(issueIds) {
      if (issueIds.length === 0) return new Map();
      const rows = await db.query<{ issue_id: string; id: string; size: number }>(OF_ISSUES, [
        issueIds,
      ]);
      return new Map(rows.rows.map((row) => [row.issue_id, { id: row.id, size: row.size }]));
    },
  };
}

const distinct = <T>(values: (T | null)[]): T[] =>
  [...new Set(values.filter((value): value is T => value !== null))].sort();

function toGroup(row: GroupRow, members: MemberRow[], withMembers: boolean): RootCauseGroup {
  const recovered = row.size - row.active;
  const hidden = row.size - members.length;
  // The group's own first time stands in when no member shows (its namespaces moved on
  // since it was listed), so an answer never carries an invalid date.
  const times = (pick: (member: MemberRow) => Date) => [
    ...members.map((member) => pick(member).getTime()),
    ...(members.length === 0 ? [row.first_seen_at.getTime()] : []),
  ];
  return {
    id: row.id,
    state: row.state,
    size: row.size,
    recovered,
    progress: `${recovered} of ${row.size} recovered`,
    namespaces: distinct(members.map((member) => member.namespace)),
    components: distinct(members.map((member) => member.scope_name)),
    signatures: distinct(members.map((member) => member.signature_key)),
    failureClasses: distinct(members.map((member) => member.failure_class)),
    cves: distinct(members.flatMap((member) => member.cves ?? [])),
    dependencies: distinct(members.map((member) => member.dependency)),
    firstSeenAt: new Date(Math.min(...times((member) => member.detected_at))).toISOString(),
    lastSeenAt: new Date(Math.max(...times((member) => member.last_seen_at))).toISOString(),
    resolvedAt: row.resolved_at?.toISOString() ?? null,
    ...(hidden > 0
      ? {
          hidden: {
            count: hidden,
            message: `and ${hidden} more in namespaces you cannot see`,
          },
        }
      : {}),
    ...(withMembers ? { members: members.map(toMember) } : {}),
  };
}

function toMember(row: MemberRow): GroupMember {
  return {
    issueId: row.issue_id,
    namespace: row.namespace,
    component: row.scope_name,
    issueType: row.issue_type,
    title: row.title,
    state: row.state,
    signature: row.signature_key,
    failureClass: row.failure_class,
    reason: { kind: row.reason_kind, value: row.reason },
    joinedAt: row.joined_at.toISOString(),
  };
}
