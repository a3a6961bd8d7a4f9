/**
 * The SELECT list every issue query shares and the mapping from a row to the v1 issue
 * object. Relations are read in the same statement, so one round trip returns complete
 * issues; timestamps are formatted as RFC 3339 by PostgreSQL (`to_json`), which is
 * cheaper than parsing them into Date objects and back in Node.
 */
import { createHash } from 'node:crypto';
import type {
  Acknowledgement,
  Issue,
  IssueState,
  IssueType,
  Labels,
  LinkInput,
  MigrationInfo,
  Relation,
  RelatedIssue,
  Severity,
} from '../domain/issue.js';

/** A relation as the store reads it: ids and both issues' summaries. */
interface StoredRelation {
  id: string;
  sourceId: string;
  targetId: string;
  source: RelatedIssue;
  target: RelatedIssue;
}

const toRelation = (row: StoredRelation): Relation => ({
  id: row.id,
  sourceId: row.sourceId,
  targetId: row.targetId,
  sourceID: row.sourceId,
  targetID: row.targetId,
  source: row.source,
  target: row.target,
});

export interface IssueRow {
  id: string;
  scope_id: string;
  namespace: string;
  issue_type: IssueType;
  scope_type: string;
  scope_name: string;
  scope_namespace: string;
  title: string;
  description: string;
  severity: Severity;
  state: IssueState;
  links: StoredLink[];
  labels: Labels;
  occurrences: number;
  detected_at: string;
  last_seen_at: string;
  resolved_at: string | null;
  created_at: string;
  updated_at: string;
  due_at: string | null;
  migration: MigrationInfo | null;
  acknowledgement: Acknowledgement | null;
  related_from: StoredRelation[] | null;
  related_to: StoredRelation[] | null;
}

const summary = (alias: string) =>
  `json_build_object('id', ${alias}.id, 'title', ${alias}.title, 'severity', ${alias}.severity, 'state', ${alias}.state, 'namespace', ${alias}.namespace)`;

/**
 * The relations of an issue with both issues' summaries: the API shows a relation only
 * when the caller may read the other issue (src/api/related-view.ts), which it decides
 * from the summary's namespace, so the store reads it here, in the same statement.
 */
const relations = (alias: string, column: 'source_id' | 'target_id', source: string) => {
  const related = `(
  SELECT json_agg(json_build_object('id', r.id, 'sourceId', r.source_id, 'targetId', r.target_id,
    'source', ${summary('rs')}, 'target', ${summary('rt')}) ORDER BY r.created_at, r.id)
  FROM ${source} r JOIN issues rs ON rs.id = r.source_id JOIN issues rt ON rt.id = r.target_id
  WHERE r.${column} = ${alias}.id)`;
  // A page's relations CTE is most often empty. The planner starts the subquery with
  // the issue (rs.id = r.source_id = alias.id) before the CTE, one index probe per row
  // and side for nothing; an empty CTE, tested once, skips the subquery (NULL reads as []).
  if (source === 'issue_relations') return related;
  return `CASE WHEN EXISTS (SELECT FROM ${source}) THEN ${related} END`;
};

const rfc3339 = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The acknowledgement while it holds: one whose `until` has passed reads as none. */
const acknowledgement = (alias: string) =>
  `CASE WHEN (${alias}.acknowledgement ->> 'until')::timestamptz <= now() THEN NULL
    ELSE ${alias}.acknowledgement END`;

/**
 * Columns of an issue row plus its relations, for a FROM item named `alias`. Relations
 * come from `relationSource`: the table itself, or a CTE holding just the relations of
 * a page of issues (see the list query).
 */
export function issueColumns(alias: string, relationSource = 'issue_relations'): string {
  return `${alias}.id, ${alias}.scope_id, ${alias}.namespace, ${alias}.issue_type, ${alias}.scope_type,
    ${alias}.scope_name, ${alias}.scope_namespace, ${alias}.title, ${alias}.description, ${alias}.severity,
    ${alias}.state, ${alias}.links, ${alias}.labels, ${alias}.occurrences,
    ${rfc3339(`${alias}.detected_at`)} AS detected_at, ${rfc3339(`${alias}.last_seen_at`)} AS last_seen_at,
    ${rfc3339(`${alias}.resolved_at`)} AS resolved_at, ${rfc3339(`${alias}.created_at`)} AS created_at,
    ${rfc3339(`${alias}.updated_at`)} AS updated_at, ${rfc3339(`${alias}.due_at`)} AS due_at,
    ${alias}.migration, ${acknowledgement(alias)} AS acknowledgement,
    ${relations(alias, 'source_id', relationSource)} AS related_from,
    ${relations(alias, 'target_id', relationSource)} AS related_to`;
}

export function toIssue(row: IssueRow): Issue {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    severity: row.severity,
    issueType: row.issue_type,
    state: row.state,
    detectedAt: row.detected_at,
    resolvedAt: row.resolved_at,
    namespace: row.namespace,
    scopeId: row.scope_id,
    scope: {
      id: row.scope_id,
      resourceType: row.scope_type,
      resourceName: row.scope_name,
      resourceNamespace: row.scope_namespace,
    },
    links: row.links.map((link) => ({
      id: link.id,
      title: link.title,
      url: link.url,
      issueId: row.id,
    })),
    relatedFrom: (row.related_from ?? []).map(toRelation),
    relatedTo: (row.related_to ?? []).map(toRelation),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    occurrences: row.occurrences,
    lastSeenAt: row.last_seen_at,
    labels: row.labels,
    dueAt: row.due_at,
    migration: row.migration,
    ...(row.acknowledgement ? { acknowledgement: row.acknowledgement } : {}),
  };
}

/** A link as stored in the issue's `links` column, its id assigned when it was written. */
export interface StoredLink extends LinkInput {
  id: string;
}

/**
 * Gives links ids derived from what they belong to (the issue identity, or its id) and
 * their content, so an unchanged link keeps its id across repeated reports.
 */
export function storedLinks(owner: string, links: LinkInput[]): StoredLink[] {
  return links.map((link) => {
    const hex = createHash('sha256').update(`${owner}\n${link.title}\n${link.url}`).digest('hex');
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    return { id, title: link.title, url: link.url };
  });
}
