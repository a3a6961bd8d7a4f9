/**
 * Every write of issues, and the `IssueStore` the routes use: these writes plus the
 * reads of issue-reads.ts. Each write is one SQL statement (CTEs write the issue
 * and its timeline event together), so a failed request leaves nothing half-written and
 * concurrent reports of the same problem are serialized by the unique identity index,
 * never by a read-then-write in the application. Reports that arrive together share one
 * such statement and one commit (src/store/report-upsert.ts, src/store/group-commit.ts).
 */
import type {
  Issue,
  IssueReport,
  IssueState,
  IssueType,
  Labels,
  LinkInput,
  MigrationInfo,
  Resolution,
  ScopeRef,
  Severity,
} from '../domain/issue.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { indexedSizeProblem } from '../domain/issue.js';
import { orPrimary, type Database, type Queryable } from './database.js';
import { dropOldEventPartitions, ensureEventPartitions } from './event-partitions.js';
import { createIssueReads, type IssueReads } from './issue-reads.js';
import { issueColumns, storedLinks, toIssue, type IssueRow } from './issue-rows.js';
import { isUniqueViolation } from './pg-errors.js';
import { createGroupCommit, type GroupCommitOptions } from './group-commit.js';
import type { Reported, ReportOutcome } from './report-upsert.js';
import { reportWriter, type RootCauseOptions } from './root-cause-join.js';

export type { ReportOutcome } from './report-upsert.js';
export { REPORT_UPSERT, reportParams } from './report-upsert.js';
export type { GroupCommitOptions } from './group-commit.js';
export type { RootCauseOptions } from './root-cause-join.js';

/**
 * Without options, no grouping: `kite serve` turns it on from its settings
 * (KITE_ROOT_CAUSE_GROUPS, on by default), tools and tests that build a store ask for it.
 */
const NO_GROUPING: RootCauseOptions = { enabled: false, windowMs: 0 };

export interface IssuePatch {
  title?: string;
  description?: string;
  severity?: Severity;
  issueType?: IssueType;
  state?: IssueState;
  scope?: { resourceType?: string; resourceName?: string; resourceNamespace?: string };
  links?: LinkInput[];
  labels?: Labels;
  /** null clears it; absent keeps it. */
  dueAt?: string | null;
  /** null clears it; absent keeps it. */
  migration?: MigrationInfo | null;
}

export type { IssueCounts, Page } from './issue-reads.js';

export interface IssueStore extends IssueReads {
  /**
   * The same reads from the read replica (`KITE_DATABASE_READ_URL`), for queries that may
   * lag the primary by the replica's delay: lists, counts, the overview. Without a
   * replica, the primary's. A replica that cannot be reached falls back to the primary.
   */
  replica: IssueReads;
  report(report: IssueReport): Promise<{ issue: Issue; outcome: ReportOutcome }>;
  resolveScope(ref: ScopeRef, issueType?: IssueType, resolution?: Resolution): Promise<number>;
  update(id: string, patch: IssuePatch): Promise<Issue>;
  resolve(id: string): Promise<Issue>;
  remove(id: string): Promise<void>;
  relate(sourceId: string, targetId: string): Promise<void>;
  unrelate(sourceId: string, targetId: string): Promise<void>;
  /**
   * Deletes resolved issues and events older than the cutoff, and resolves ("ages out")
   * active pull request issues not reported since then: their pull request never ran
   * again (merged, closed or abandoned), so no success will ever come.
   */
  prune(olderThan: Date): Promise<{ issues: number; events: number; agedOut: number }>;
}

/**
 * Reports are group-committed (src/store/group-commit.ts); without options, a group
 * starts whenever a connection is free (one at a time on the embedded database). Failure
 * reports join root-cause groups in their own transaction (src/store/root-cause-join.ts).
 */
export function createIssueStore(
  db: Database,
  options: {
    ingest?: Partial<GroupCommitOptions>;
    rootCause?: RootCauseOptions;
    /** A streaming replica of `db` (docs/multi-cluster.md, "Scale-out"). */
    replica?: Queryable;
  } = {},
): IssueStore {
  const ingest = createGroupCommit<IssueReport, Reported>(
    reportWriter(db, options.rootCause ?? NO_GROUPING),
    {
      windowMs: 0,
      maxItems: 64,
      maxInFlight: Math.min(2, db.connections().max),
      ...options.ingest,
    },
  );
  const reads = createIssueReads(db);
  return {
    ...reads,
    replica: options.replica ? createIssueReads(orPrimary(options.replica, db)) : reads,

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
          patch.dueAt !== undefined,
          patch.dueAt ?? null,
          patch.migration !== undefined,
          patch.migration ? JSON.stringify(patch.migration) : null,
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

    async prune(olderThan) {
      // The partitions first, each change a statement of its own: dropping or making one
      // locks issue_events for an instant, and holding no row lock meanwhile it can wait
      // for writers but never deadlock with them. Whole months past retention go at once;
      // the rest of the cutoff's month row by row, below.
      const dropped = await dropOldEventPartitions(db, olderThan);
      await ensureEventPartitions(db);
      return db.transaction(async (tx) => {
        // One prune at a time across replicas: two deleting the same old events in
        // different orders (by issue through the cascade, by age) deadlock. The deletes
        // are idempotent, so a prune that finds another under way leaves it the work.
        const lock = await tx.query<{ got: boolean }>(
          'SELECT pg_try_advisory_xact_lock($1) AS got',
          [PRUNE_LOCK],
        );
        if (!first(lock.rows).got) return { issues: 0, events: 0, agedOut: 0 };
        const aged = await tx.query<{ aged: number }>(AGE_OUT_PULL_REQUESTS, [olderThan]);
        const issues = await tx.query(
          `DELETE FROM issues WHERE id IN (
             SELECT id FROM issues WHERE state = 'RESOLVED' AND resolved_at < $1
             ORDER BY ${IDENTITY_ORDER} FOR UPDATE)`,
          [olderThan],
        );
        const events = await tx.query('DELETE FROM issue_events WHERE at < $1', [olderThan]);
        // Deletes kept for resuming event streams (migration 9) age out with the events.
        await tx.query('DELETE FROM issue_tombstones WHERE at < $1', [olderThan]);
        return {
          issues: issues.rowCount,
          events: dropped + events.rowCount,
          agedOut: first(aged.rows).aged,
        };
      });
    },
  };
}

/**
 * The order of the unique identity index. Every statement that locks several issues
 * takes them in this order (the batch upsert inserts in it too), so two such statements
 * wait on each other instead of deadlocking.
 */
const IDENTITY_ORDER = 'namespace, scope_type, scope_name, scope_namespace, issue_type';

/** The advisory lock that names pruning (4711008 names the counts fold, migration 8). */
const PRUNE_LOCK = 4711009;

/**
 * Resolves the active issues of a scope whose state was decided no later than the
 * success ($6, absent: now), and moves `state_at` forward on those already resolved, so a
 * failure older than this success cannot reopen them later.
 */
const RESOLVE_SCOPE = `
WITH locked AS (
  SELECT id FROM issues
  WHERE namespace = $1 AND scope_type = $2 AND scope_name = $3 AND scope_namespace = $4
    AND ($5::text IS NULL OR issue_type = $5::text)
  ORDER BY ${IDENTITY_ORDER}
  FOR UPDATE
), done AS (
  UPDATE issues SET
    state = 'RESOLVED',
    resolved_at = CASE WHEN state = 'ACTIVE' THEN now() ELSE resolved_at END,
    updated_at = CASE WHEN state = 'ACTIVE' THEN now() ELSE updated_at END,
    last_event = CASE WHEN state = 'ACTIVE' THEN 'resolved' ELSE last_event END,
    state_at = coalesce($6::timestamptz, now())
  WHERE id IN (SELECT id FROM locked) AND state_at <= coalesce($6::timestamptz, now())
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
  WHERE id IN (
    SELECT id FROM issues WHERE state = 'ACTIVE' AND scope_type = 'pull-request' AND last_seen_at < $1
    ORDER BY ${IDENTITY_ORDER} FOR UPDATE)
  RETURNING id
), event AS (
  INSERT INTO issue_events (issue_id, kind, summary)
  SELECT id, 'resolved', 'aged out: its pull request has not run again within the retention age' FROM aged
)
SELECT count(*)::int AS aged FROM aged`;

const UPDATE = `
WITH prev AS (
  SELECT id, state, severity FROM issues WHERE id = $1 FOR UPDATE
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
    due_at = CASE WHEN $12 THEN $13::timestamptz ELSE cur.due_at END,
    migration = CASE WHEN $14 THEN $15::jsonb ELSE cur.migration END,
    severity_was = prev.severity,
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
  INSERT INTO issue_events (issue_id, kind, summary)
  SELECT id, last_event, CASE WHEN severity_was <> severity
    THEN 'severity ' || severity_was || ' → ' || severity || ': changed through the API'
    ELSE 'changed through the API' END FROM up
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

function first<T>(rows: T[]): T {
  const row = rows[0];
  if (row === undefined) throw new Error('query returned no row');
  return row;
}
