/**
 * The archive's runs in PostgreSQL (`mintmaker_runs`): the row shape, its mapping to a
 * MintMaker run (src/domain/mintmaker-run.ts) and the run-level SQL — record, find,
 * list a page, place live runs among archived ones, drop, prune. A listing is ordered
 * by `coalesce(completed_at, started_at, archived_at) DESC, id DESC` everywhere, so a
 * page read here and a live run placed here agree on where each run sorts.
 */
import type { MintmakerRun, MintmakerRunStatus } from '../domain/mintmaker-run.js';
import { ConflictError } from '../domain/errors.js';
import type { Database, Queryable } from '../store/database.js';
import { isUniqueViolation } from '../store/pg-errors.js';

/** A run as the archive holds it: the run, and what is stored of its log. */
export interface ArchivedRun extends MintmakerRun {
  id: string;
  labels: Record<string, string>;
  logBytes: number;
  truncated: boolean;
  archivedAt: string;
}

/** What `saveRun` records: the run, and the PipelineRun's labels if known. */
export type RunInput = MintmakerRun & { labels?: Record<string, string> };

/** A run by its place in the cluster. */
export interface RunKey {
  runNamespace: string;
  name: string;
}

export interface RunFilter {
  namespaces?: readonly string[];
  component?: string;
  repoBranchHash?: string;
  statuses?: readonly MintmakerRunStatus[];
  /** Only these runs. */
  only?: readonly RunKey[];
  /** Not these runs (those a listing takes from the cluster instead). */
  except?: readonly RunKey[];
}

export interface RunPage {
  limit: number;
  offset: number;
}

interface RunRow {
  id: string;
  run_namespace: string;
  run_name: string;
  run_uid: string;
  namespace: string;
  component: string;
  git_host: string | null;
  repository: string | null;
  branch: string | null;
  repo_branch_hash: string | null;
  status: MintmakerRunStatus;
  started_at: string | null;
  completed_at: string | null;
  labels: Record<string, string>;
  log_bytes: string | number;
  truncated: boolean;
  archived_at: string;
}

const RUN_COLUMNS = `id, run_namespace, run_name, run_uid, namespace, component, git_host, repository,
  branch, repo_branch_hash, status, to_json(started_at)#>>'{}' AS started_at,
  to_json(completed_at)#>>'{}' AS completed_at, labels, log_bytes, truncated,
  to_json(archived_at)#>>'{}' AS archived_at`;

/** Where a run sorts in every listing (newest first, then `id DESC`). */
const RUN_TIME = 'coalesce(completed_at, started_at, archived_at)';

function toRun(row: RunRow): ArchivedRun {
  return {
    id: row.id,
    runNamespace: row.run_namespace,
    name: row.run_name,
    uid: row.run_uid,
    namespace: row.namespace,
    component: row.component,
    gitHost: row.git_host,
    repository: row.repository,
    branch: row.branch,
    repoBranchHash: row.repo_branch_hash,
    status: row.status,
    startTime: row.started_at,
    completionTime: row.completed_at,
    labels: row.labels,
    logBytes: Number(row.log_bytes),
    truncated: row.truncated,
    archivedAt: row.archived_at,
  };
}

/** The WHERE clause of a filter, its parameters appended to `params`. */
function whereOf(filter: RunFilter, params: unknown[]): string {
  const where: string[] = [];
  const add = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.namespaces) where.push(`namespace = ANY(${add(filter.namespaces)}::text[])`);
  if (filter.component) where.push(`component = ${add(filter.component)}`);
  if (filter.repoBranchHash) where.push(`repo_branch_hash = ${add(filter.repoBranchHash)}`);
  if (filter.statuses) where.push(`status = ANY(${add(filter.statuses)}::text[])`);
  const keys = (runs: readonly RunKey[]) =>
    `EXISTS (SELECT 1 FROM unnest(${add(runs.map((r) => r.runNamespace))}::text[],
       ${add(runs.map((r) => r.name))}::text[]) AS k(ns, name)
       WHERE k.ns = run_namespace AND k.name = run_name)`;
  if (filter.only) where.push(keys(filter.only));
  if (filter.except?.length) where.push(`NOT ${keys(filter.except)}`);
  return where.length ? `WHERE ${where.join(' AND ')}` : '';
}

export async function saveRun(db: Database, input: RunInput): Promise<ArchivedRun> {
  return db
    .transaction(async (tx) => {
      // A run name freed by a deleted run and taken by a new one: the new run replaces it.
      await tx.query(
        'DELETE FROM mintmaker_runs WHERE run_namespace = $1 AND run_name = $2 AND run_uid <> $3 AND namespace = $4',
        [input.runNamespace, input.name, input.uid, input.namespace],
      );
      const result = await tx.query<RunRow>(
        `INSERT INTO mintmaker_runs (run_namespace, run_name, run_uid, namespace, component, git_host, repository,
                                     branch, repo_branch_hash, status, started_at, completed_at, labels)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb)
         ON CONFLICT (run_uid) DO UPDATE SET
           status = EXCLUDED.status, started_at = EXCLUDED.started_at, completed_at = EXCLUDED.completed_at,
           labels = EXCLUDED.labels, archived_at = now()
         WHERE mintmaker_runs.namespace = EXCLUDED.namespace
           AND mintmaker_runs.run_namespace = EXCLUDED.run_namespace
           AND mintmaker_runs.run_name = EXCLUDED.run_name
         RETURNING ${RUN_COLUMNS}`,
        [
          input.runNamespace,
          input.name,
          input.uid,
          input.namespace,
          input.component,
          input.gitHost,
          input.repository,
          input.branch,
          input.repoBranchHash,
          input.status,
          input.startTime,
          input.completionTime,
          JSON.stringify(input.labels ?? {}),
        ],
      );
      const row = result.rows[0];
      if (!row)
        throw new ConflictError('This run is already archived under another name or namespace');
      return toRun(row);
    })
    .catch((error: unknown) => {
      if (isUniqueViolation(error)) {
        throw new ConflictError('Another run of this name is archived for another namespace');
      }
      throw error;
    });
}

export async function findRun(
  db: Queryable,
  runNamespace: string,
  name: string,
): Promise<ArchivedRun | undefined> {
  const result = await db.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM mintmaker_runs WHERE run_namespace = $1 AND run_name = $2`,
    [runNamespace, name],
  );
  const row = result.rows[0];
  return row ? toRun(row) : undefined;
}

/** One page of the filter's runs, newest first, and how many there are in all. */
export async function listRuns(
  db: Queryable,
  filter: RunFilter,
  page: RunPage,
): Promise<{ data: ArchivedRun[]; total: number }> {
  const params: unknown[] = [];
  const clause = whereOf(filter, params);
  const [rows, total] = await Promise.all([
    db.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM mintmaker_runs ${clause}
       ORDER BY ${RUN_TIME} DESC, id DESC
       LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, page.limit, page.offset],
    ),
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mintmaker_runs ${clause}`, params),
  ]);
  return { data: rows.rows.map(toRun), total: total.rows[0]?.n ?? 0 };
}

/**
 * For each time (ISO 8601; null: no time yet, which sorts first), how many of the
 * filter's runs sort strictly before it: where a run of that time goes in the listing,
 * ahead of archived runs of the same time. One query, counted in the database.
 */
export async function countNewer(
  db: Queryable,
  filter: RunFilter,
  times: readonly (string | null)[],
): Promise<number[]> {
  if (times.length === 0) return [];
  const params: unknown[] = [];
  const clause = whereOf(filter, params);
  params.push(times);
  const result = await db.query<{ n: number }>(
    `SELECT (SELECT count(*)::int FROM mintmaker_runs ${clause ? `${clause} AND` : 'WHERE'}
              ${RUN_TIME} > t.at) AS n
     FROM unnest($${params.length}::timestamptz[]) WITH ORDINALITY AS t(at, i)
     ORDER BY t.i`,
    params,
  );
  return result.rows.map((row) => row.n);
}

export async function dropRun(db: Queryable, runId: string, namespace: string): Promise<void> {
  await db.query('DELETE FROM mintmaker_runs WHERE id = $1 AND namespace = $2', [runId, namespace]);
}

export async function prune(
  db: Queryable,
  { olderThan, keepPerComponent }: { olderThan: Date; keepPerComponent: number },
): Promise<number> {
  const result = await db.query(
    `DELETE FROM mintmaker_runs WHERE id IN (
       SELECT id FROM (
         SELECT id, archived_at, row_number() OVER (
           PARTITION BY namespace, component
           ORDER BY ${RUN_TIME} DESC, id DESC) AS n
         FROM mintmaker_runs
       ) ranked WHERE ranked.archived_at < $1 OR ranked.n > $2
     )`,
    [olderThan, keepPerComponent],
  );
  return result.rowCount;
}
