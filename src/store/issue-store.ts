/**
 * Every read and write of issues. Each write is one SQL statement (CTEs write the issue
 * and its timeline event together), so a failed request leaves nothing half-written and
 * concurrent reports of the same problem are serialized by the unique identity index,
 * never by a read-then-write in the application. Reports that arrive together share one
 * such statement and one commit (src/store/report-upsert.ts, src/store/group-commit.ts).
 */
import { createHash } from 'node:crypto';
import type {
  Issue,
  IssueEvent,
  IssueReport,
  IssueState,
  IssueType,
  Labels,
  LinkInput,
  Resolution,
  ScopeRef,
  Severity,
} from '../domain/issue.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { indexedSizeProblem } from '../domain/issue.js';
import type { PageKey } from '../domain/page-cursor.js';
import type { Database, Queryable } from './database.js';
import { buildWhere, type IssueFilter, type Where } from './issue-filter.js';
import { issueColumns, storedLinks, toIssue, type IssueRow } from './issue-rows.js';
import { isUniqueViolation } from './pg-errors.js';
import { createGroupCommit, type GroupCommitOptions } from './group-commit.js';
import {
  identityKey,
  writeReport,
  writeReports,
  type Reported,
  type ReportOutcome,
} from './report-upsert.js';

export type { ReportOutcome } from './report-upsert.js';
export { REPORT_UPSERT, reportParams } from './report-upsert.js';
export type { GroupCommitOptions } from './group-commit.js';

export interface IssuePatch {
  title?: string;
  description?: string;
  severity?: Severity;
  issueType?: IssueType;
  state?: IssueState;
  scope?: { resourceType?: string; resourceName?: string; resourceNamespace?: string };
  links?: LinkInput[];
  labels?: Labels;
}

export interface Page<T> {
  data: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface IssueCounts {
  total: number;
  bySeverity: Record<Severity, number>;
  byType: Record<IssueType, number>;
  byState: Record<IssueState, number>;
}

export interface IssueStore {
  report(report: IssueReport): Promise<{ issue: Issue; outcome: ReportOutcome }>;
  resolveScope(ref: ScopeRef, issueType?: IssueType, resolution?: Resolution): Promise<number>;
  get(id: string): Promise<Issue | undefined>;
  /** The namespace an issue lives in, for permission checks before anything else. */
  namespaceOf(id: string): Promise<string | undefined>;
  /**
   * A page of issues, newest `detectedAt` first (id breaks ties). With `after`, the page
   * starts right after that key (keyset paging); `next` is the key of the page's last
   * issue when more follow, else null.
   */
  list(
    filter: IssueFilter,
    page: { limit: number; offset: number; after?: PageKey },
  ): Promise<Page<Issue> & { next: PageKey | null }>;
  count(filter: IssueFilter): Promise<IssueCounts>;
  update(id: string, patch: IssuePatch): Promise<Issue>;
  resolve(id: string): Promise<Issue>;
  remove(id: string): Promise<void>;
  relate(sourceId: string, targetId: string): Promise<void>;
  unrelate(sourceId: string, targetId: string): Promise<void>;
  events(id: string, page: { limit: number; offset: number }): Promise<Page<IssueEvent>>;
  /**
   * Deletes resolved issues and events older than the cutoff, and resolves ("ages out")
   * active pull request issues not reported since then: their pull request never ran
   * again (merged, closed or abandoned), so no success will ever come.
   */
  prune(olderThan: Date): Promise<{ issues: number; events: number; agedOut: number }>;
  /** The namespaces that hold at least one issue. */
  namespaces(): Promise<string[]>;
}

/**
 * Reports are group-committed (src/store/group-commit.ts); without options, a group
 * starts whenever a connection is free (one at a time on the embedded database).
 */
export function createIssueStore(
  db: Database,
  options: { ingest?: Partial<GroupCommitOptions> } = {},
): IssueStore {
  const ingest = createGroupCommit<IssueReport, Reported>(
    {
      key: identityKey,
      one: (report) => writeReport(db, report),
      many: (reports) => writeReports(db, reports),
    },
    {
      windowMs: 0,
      maxItems: 64,
      maxInFlight: Math.min(2, db.connections().max),
      ...options.ingest,
    },
  );
  const getIn = async (q: Queryable, id: string) => {
    const result = await q.query<IssueRow>(GET_ISSUE, [id], 'kite_get_issue');
    const row = result.rows[0];
    return row ? toIssue(row) : undefined;
  };

  return {
    async report(report) {
      const tooLarge = indexedSizeProblem(report.scope, report.labels);
      if (tooLarge) throw tooLarge;
      return ingest.submit(report);
    },

    async resolveScope(ref, issueType, resolution = {}) {
      const result = await db.query<{ resolved: number }>(
        RESOLVE_SCOPE,
        [
          ref.namespace,
          ref.scope.resourceType,
          ref.scope.resourceName,
          ref.scope.resourceNamespace,
          issueType ?? null,
          resolution.occurredAt ?? null,
          resolution.runId ?? null,
          resolution.summary ?? 'resolved by a success report',
        ],
        'kite_resolve_scope',
      );
      return first(result.rows).resolved;
    },

    get: (id) => getIn(db, id),

    async namespaceOf(id) {
      const result = await db.query<{ namespace: string }>(
        'SELECT namespace FROM issues WHERE id = $1',
        [id],
        'kite_namespace_of',
      );
      return result.rows[0]?.namespace;
    },

    async list(filter, { after, ...page }) {
      const where = buildWhere(filter);
      const n = where.params.length;
      // After a key: rows sorting after it in (detected_at DESC, id DESC). Written as a
      // range on detected_at (an index condition of both ordering indexes) and a
      // tie-break on id, rather than a row comparison the mixed-direction
      // issues_detected index could not bound.
      const keyset = after
        ? `${where.sql ? ' AND' : 'WHERE'} detected_at <= $${n + 3}::timestamptz
             AND (detected_at < $${n + 3}::timestamptz OR id < $${n + 4}::uuid)`
        : '';
      // One statement: the ids of the page and one more (whether another page follows),
      // from the covering listing index alone, then just those rows, the relations of
      // just those issues, and the total (an uncorrelated subquery, computed once). An
      // empty page carries no total, so only then is it counted separately.
      const sql = `
        WITH ids AS (
          SELECT id FROM issues ${where.sql}${keyset} ORDER BY detected_at DESC, id DESC LIMIT $${n + 1} OFFSET $${n + 2}
        ), page AS (
          SELECT issues.* FROM ids JOIN issues ON issues.id = ids.id
        ), rel AS MATERIALIZED (
          SELECT r.id, r.source_id, r.target_id, r.created_at FROM issue_relations r
          WHERE r.source_id IN (SELECT id FROM page) OR r.target_id IN (SELECT id FROM page)
        )
        SELECT (SELECT count(*)::int FROM issues ${where.sql}) AS total, ${issueColumns('page', 'rel')}
        FROM page ORDER BY page.detected_at DESC, page.id DESC`;
      const result = await db.query<IssueRow & { total: number }>(
        sql,
        [
          ...where.params,
          page.limit + 1,
          page.offset,
          ...(after ? [after.detectedAt, after.id] : []),
        ],
        statementName(where, sql),
      );
      const more = result.rows.length > page.limit;
      const data = result.rows.slice(0, page.limit).map(toIssue);
      const last = data.at(-1);
      const next = more && last ? { detectedAt: last.detectedAt, id: last.id } : null;
      const known = result.rows[0]?.total;
      if (known !== undefined) return { data, total: known, ...page, next };
      const countSql = `SELECT count(*)::int AS total FROM issues ${where.sql}`;
      const counted = await db.query<{ total: number }>(
        countSql,
        where.params,
        statementName(where, countSql),
      );
      return { data, total: first(counted.rows).total, ...page, next };
    },

    async count(filter) {
      const where = buildWhere(filter);
      // One hash aggregate over at most 4 × 5 × 2 groups, folded into the three views here.
      const countSql = `SELECT severity, issue_type, state, count(*)::int AS n FROM issues ${where.sql}
         GROUP BY severity, issue_type, state`;
      const result = await db.query<{
        severity: Severity;
        issue_type: IssueType;
        state: IssueState;
        n: number;
      }>(countSql, where.params, statementName(where, countSql));
      const counts: IssueCounts = {
        total: 0,
        bySeverity: { info: 0, minor: 0, major: 0, critical: 0 },
        byType: { build: 0, test: 0, release: 0, dependency: 0, pipeline: 0 },
        byState: { ACTIVE: 0, RESOLVED: 0 },
      };
      for (const row of result.rows) {
        counts.total += row.n;
        counts.bySeverity[row.severity] += row.n;
        counts.byType[row.issue_type] += row.n;
        counts.byState[row.state] += row.n;
      }
      return counts;
    },

    async update(id, patch) {
      const tooLarge = indexedSizeProblem(patch.scope ?? {}, patch.labels);
      if (tooLarge) throw tooLarge;
      try {
        const result = await db.query<IssueRow>(UPDATE, [
          id,
          patch.title ?? null,
          patch.description ?? null,
          patch.severity ?? null,
          patch.issueType ?? null,
          patch.state ?? null,
          patch.scope?.resourceType ?? null,
          patch.scope?.resourceName ?? null,
          patch.scope?.resourceNamespace ?? null,
          patch.links ? JSON.stringify(storedLinks(id, patch.links)) : null,
          patch.labels ? JSON.stringify(patch.labels) : null,
        ]);
        const row = result.rows[0];
        if (!row) throw new NotFoundError('Issue not found');
        return toIssue(row);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new ConflictError('Another issue already has this namespace, type and scope');
        }
        throw error;
      }
    },

    async resolve(id) {
      return this.update(id, { state: 'RESOLVED' });
    },

    async remove(id) {
      const result = await db.query('DELETE FROM issues WHERE id = $1', [id]);
      if (result.rowCount === 0) throw new NotFoundError('Issue not found');
    },

    async relate(sourceId, targetId) {
      const result = await db.query<{ found: number; inserted: number }>(RELATE, [
        sourceId,
        targetId,
      ]);
      const { found, inserted } = first(result.rows);
      if (found < (sourceId === targetId ? 1 : 2)) throw new NotFoundError('Issue not found');
      if (inserted === 0) throw new ConflictError('Issues are already related');
    },

    async unrelate(sourceId, targetId) {
      const result = await db.query(
        `DELETE FROM issue_relations WHERE (source_id = $1 AND target_id = $2) OR (source_id = $2 AND target_id = $1)`,
        [sourceId, targetId],
      );
      if (result.rowCount === 0) throw new NotFoundError('Relation not found');
    },

    async events(id, page) {
      const [rows, total] = await Promise.all([
        db.query<{
          id: string;
          issue_id: string;
          kind: IssueEvent['kind'];
          at: Date;
          summary: string;
          run_id: string | null;
        }>(
          `SELECT id::text, issue_id, kind, at, summary, run_id FROM issue_events
           WHERE issue_id = $1 ORDER BY issue_events.id DESC LIMIT $2 OFFSET $3`,
          [id, page.limit, page.offset],
        ),
        db.query<{ total: number }>(
          'SELECT count(*)::int AS total FROM issue_events WHERE issue_id = $1',
          [id],
        ),
      ]);
      const data = rows.rows.map((row) => ({
        id: row.id,
        issueId: row.issue_id,
        kind: row.kind,
        at: row.at.toISOString(),
        summary: row.summary,
        runId: row.run_id,
      }));
      return { data, total: first(total.rows).total, ...page };
    },

    async namespaces() {
      // A loose index scan over the listing index: one probe per distinct namespace.
      const result = await db.query<{ namespace: string }>(
        `WITH RECURSIVE ns AS (
           (SELECT namespace FROM issues ORDER BY namespace LIMIT 1)
           UNION ALL
           SELECT (SELECT namespace FROM issues WHERE namespace > ns.namespace ORDER BY namespace LIMIT 1)
           FROM ns WHERE ns.namespace IS NOT NULL
         )
         SELECT namespace FROM ns WHERE namespace IS NOT NULL`,
        [],
        'kite_namespaces',
      );
      return result.rows.map((row) => row.namespace);
    },

    async prune(olderThan) {
      return db.transaction(async (tx) => {
        const aged = await tx.query<{ aged: number }>(AGE_OUT_PULL_REQUESTS, [olderThan]);
        const issues = await tx.query(
          `DELETE FROM issues WHERE state = 'RESOLVED' AND resolved_at < $1`,
          [olderThan],
        );
        const events = await tx.query('DELETE FROM issue_events WHERE at < $1', [olderThan]);
        // Deletes kept for resuming event streams (migration 9) age out with the events.
        await tx.query('DELETE FROM issue_tombstones WHERE at < $1', [olderThan]);
        return {
          issues: issues.rowCount,
          events: events.rowCount,
          agedOut: first(aged.rows).aged,
        };
      });
    },
  };
}

const GET_ISSUE = `SELECT ${issueColumns('i')} FROM issues i WHERE i.id = $1`;
/**
 * Resolves the active issues of a scope whose state was decided no later than the
 * success ($6, absent: now), and moves `state_at` forward on those already resolved, so a
 * failure older than this success cannot reopen them later.
 */
const RESOLVE_SCOPE = `
WITH done AS (
  UPDATE issues SET
    state = 'RESOLVED',
    resolved_at = CASE WHEN state = 'ACTIVE' THEN now() ELSE resolved_at END,
    updated_at = CASE WHEN state = 'ACTIVE' THEN now() ELSE updated_at END,
    last_event = CASE WHEN state = 'ACTIVE' THEN 'resolved' ELSE last_event END,
    state_at = coalesce($6::timestamptz, now())
  WHERE namespace = $1 AND scope_type = $2 AND scope_name = $3 AND scope_namespace = $4
    AND ($5::text IS NULL OR issue_type = $5::text)
    AND state_at <= coalesce($6::timestamptz, now())
  RETURNING id, last_event, updated_at = now() AS changed
), event AS (
  INSERT INTO issue_events (issue_id, kind, summary, run_id)
  SELECT id, 'resolved', $8, $7 FROM done WHERE changed
)
SELECT count(*) FILTER (WHERE changed)::int AS resolved FROM done`;

/** Resolves active pull request issues (scope `pull-request`) last seen before $1. */
const AGE_OUT_PULL_REQUESTS = `
WITH aged AS (
  UPDATE issues SET state = 'RESOLVED', resolved_at = now(), updated_at = now(),
    last_event = 'resolved', state_at = now()
  WHERE state = 'ACTIVE' AND scope_type = 'pull-request' AND last_seen_at < $1
  RETURNING id
), event AS (
  INSERT INTO issue_events (issue_id, kind, summary)
  SELECT id, 'resolved', 'aged out: its pull request has not run again within the retention age' FROM aged
)
SELECT count(*)::int AS aged FROM aged`;

const UPDATE = `
WITH prev AS (
  SELECT id, state FROM issues WHERE id = $1 FOR UPDATE
), up AS (
  UPDATE issues cur SET
    title = coalesce($2, cur.title),
    description = coalesce($3, cur.description),
    severity = coalesce($4, cur.severity),
    issue_type = coalesce($5, cur.issue_type),
    state = coalesce($6, cur.state),
    scope_type = coalesce($7, cur.scope_type),
    scope_name = coalesce($8, cur.scope_name),
    scope_namespace = coalesce($9, cur.scope_namespace),
    links = coalesce($10::jsonb, cur.links),
    labels = coalesce($11::jsonb, cur.labels),
    resolved_at = CASE
      WHEN $6 = 'RESOLVED' THEN coalesce(cur.resolved_at, now())
      WHEN $6 = 'ACTIVE' THEN NULL
      ELSE cur.resolved_at END,
    detected_at = CASE WHEN $6 = 'ACTIVE' AND prev.state = 'RESOLVED' THEN now() ELSE cur.detected_at END,
    state_at = CASE WHEN $6 IS NOT NULL AND $6 <> prev.state THEN now() ELSE cur.state_at END,
    last_event = CASE
      WHEN $6 = 'RESOLVED' AND prev.state = 'ACTIVE' THEN 'resolved'
      WHEN $6 = 'ACTIVE' AND prev.state = 'RESOLVED' THEN 'reopened'
      ELSE 'updated' END,
    updated_at = now()
  FROM prev WHERE cur.id = prev.id
  RETURNING cur.*
), event AS (
  INSERT INTO issue_events (issue_id, kind, summary) SELECT id, last_event, 'changed through the API' FROM up
)
SELECT ${issueColumns('up')} FROM up`;

const RELATE = `
WITH found AS (
  SELECT count(*)::int AS n FROM issues WHERE id IN ($1, $2)
), ins AS (
  INSERT INTO issue_relations (source_id, target_id)
  SELECT $1, $2 FROM found WHERE found.n = CASE WHEN $1::uuid = $2::uuid THEN 1 ELSE 2 END
    AND NOT EXISTS (
      SELECT 1 FROM issue_relations WHERE (source_id = $1 AND target_id = $2) OR (source_id = $2 AND target_id = $1))
  ON CONFLICT DO NOTHING
  RETURNING id
)
SELECT (SELECT n FROM found) AS found, (SELECT count(*)::int FROM ins) AS inserted`;

/**
 * Filter queries are prepared when their text comes from the bounded set of filter
 * combinations; label selectors can be any length, so those are planned per call.
 */
function statementName(where: Where, sql: string): string | undefined {
  if (!where.bounded) return undefined;
  return `kite_q_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
}

function first<T>(rows: T[]): T {
  const row = rows[0];
  if (row === undefined) throw new Error('query returned no row');
  return row;
}
