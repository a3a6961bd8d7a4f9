/**
 * The SELECT list every issue query shares and the mapping from a row to the v1 issue
 * object. Relations are read in the same statement as correlated subqueries, so one
 * round trip returns complete issues.
 */
import { createHash } from 'node:crypto';
import type {
  Issue,
  IssueState,
  IssueType,
  Labels,
  LinkInput,
  Relation,
  Severity,
} from '../domain/issue.js';

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
  links: LinkInput[];
  labels: Labels;
  occurrences: number;
  detected_at: Date;
  last_seen_at: Date;
  resolved_at: Date | null;
  created_at: Date;
  updated_at: Date;
  related_from: Relation[] | null;
  related_to: Relation[] | null;
}

const relations = (alias: string, column: 'source_id' | 'target_id') => `(
  SELECT json_agg(json_build_object('id', r.id, 'sourceId', r.source_id, 'targetId', r.target_id) ORDER BY r.created_at, r.id)
  FROM issue_relations r WHERE r.${column} = ${alias}.id)`;

/** Columns of an issue row plus its relations, for a FROM item named `alias`. */
export function issueColumns(alias: string): string {
  return `${alias}.id, ${alias}.scope_id, ${alias}.namespace, ${alias}.issue_type, ${alias}.scope_type,
    ${alias}.scope_name, ${alias}.scope_namespace, ${alias}.title, ${alias}.description, ${alias}.severity,
    ${alias}.state, ${alias}.links, ${alias}.labels, ${alias}.occurrences, ${alias}.detected_at,
    ${alias}.last_seen_at, ${alias}.resolved_at, ${alias}.created_at, ${alias}.updated_at,
    ${relations(alias, 'source_id')} AS related_from, ${relations(alias, 'target_id')} AS related_to`;
}

export function toIssue(row: IssueRow): Issue {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    severity: row.severity,
    issueType: row.issue_type,
    state: row.state,
    detectedAt: row.detected_at.toISOString(),
    resolvedAt: row.resolved_at ? row.resolved_at.toISOString() : null,
    namespace: row.namespace,
    scopeId: row.scope_id,
    scope: {
      id: row.scope_id,
      resourceType: row.scope_type,
      resourceName: row.scope_name,
      resourceNamespace: row.scope_namespace,
    },
    links: row.links.map((link) => ({ id: linkId(row.id, link), ...link, issueId: row.id })),
    relatedFrom: row.related_from ?? [],
    relatedTo: row.related_to ?? [],
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    occurrences: row.occurrences,
    lastSeenAt: row.last_seen_at.toISOString(),
    labels: row.labels,
  };
}

/** Links are stored with their issue; their id is derived, so it is stable across reads. */
function linkId(issueId: string, link: LinkInput): string {
  const hex = createHash('sha256').update(`${issueId}\n${link.title}\n${link.url}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
