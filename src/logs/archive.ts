/**
 * The archive of MintMaker run logs in PostgreSQL. Pods are pruned soon after runs
 * finish, so the operator uploads each step's log when a run completes; the server
 * keeps it redacted and compressed in chunks, in step order: raw DEFLATE segments that
 * join into one gzip body as they are (src/logs/gzip-segments.ts). Writing and reading
 * go chunk by chunk, so memory stays flat whatever the size of a log; a per-run size
 * cap drops the oldest chunks (the tail is where a failure is) and marks the run
 * truncated.
 */
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { crc32, deflateRaw as deflateRawCb, gunzipSync, inflateRawSync } from 'node:zlib';
import { ConflictError, InputError, NotFoundError } from '../domain/errors.js';
import type { Database } from '../store/database.js';
import { isForeignKeyViolation, isUniqueViolation } from '../store/pg-errors.js';
import { SEGMENT } from './gzip-segments.js';

const deflateRaw = promisify(deflateRawCb);

/** Raw bytes per stored chunk. */
export const CHUNK_BYTES = 256 * 1024;
/** seq values per step: a chunk's seq is its step's position × this + its index. */
const STEP_SEQS = 1_000_000;
/** A claim on an upload not renewed for this long is taken to be its dead process's. */
const CLAIM_EXPIRES_SECONDS = 120;
const UPLOAD_IN_PROGRESS = 'Another upload of this step is in progress';
const UPLOAD_TAKEN_OVER =
  'This upload stalled and another upload of the step took over; the step is theirs';
const RELEASE_CLAIM =
  'DELETE FROM mintmaker_log_uploads WHERE run_id = $1 AND position = $2 AND token = $3 RETURNING token';
/** Chunks read per query when serving (2 MiB raw); the first query reads fewer. */
const READ_BATCH = 8;
const FIRST_READ_BATCH = 2;
/** The largest output buffer a chunk's decompression starts with. */
const MAX_OUTPUT_BYTES = 4 * CHUNK_BYTES;

export type RunStatus = 'Succeeded' | 'Failed' | 'Running' | 'Unknown';

export interface RunInput {
  runNamespace: string;
  runName: string;
  runUid: string;
  /** The component's namespace: who may read the run is decided here. */
  namespace: string;
  component: string;
  gitHost?: string;
  repository?: string;
  branch?: string;
  repoBranchHash?: string;
  status: RunStatus;
  startedAt?: string;
  completedAt?: string;
  labels?: Record<string, string>;
}

export interface ArchivedRun extends Required<
  Omit<
    RunInput,
    'gitHost' | 'repository' | 'branch' | 'repoBranchHash' | 'startedAt' | 'completedAt'
  >
> {
  id: string;
  gitHost: string | null;
  repository: string | null;
  branch: string | null;
  repoBranchHash: string | null;
  startedAt: string | null;
  completedAt: string | null;
  logBytes: number;
  truncated: boolean;
  archivedAt: string;
}

/** A stored chunk as it is: a DEFLATE segment, the CRC-32 and length of its text. */
export interface LogSegment {
  task: string;
  step: string;
  data: Buffer;
  crc32: number;
  bytes: number;
}

export interface StepLog {
  position: number;
  task: string;
  step: string;
  bytes: number;
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
  status: RunStatus;
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

function toRun(row: RunRow): ArchivedRun {
  return {
    id: row.id,
    runNamespace: row.run_namespace,
    runName: row.run_name,
    runUid: row.run_uid,
    namespace: row.namespace,
    component: row.component,
    gitHost: row.git_host,
    repository: row.repository,
    branch: row.branch,
    repoBranchHash: row.repo_branch_hash,
    status: row.status,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    labels: row.labels,
    logBytes: Number(row.log_bytes),
    truncated: row.truncated,
    archivedAt: row.archived_at,
  };
}

export interface RunFilter {
  namespaces?: readonly string[];
  component?: string;
  repoBranchHash?: string;
}

export interface LogArchive {
  /** Records (or refreshes) a run; its logs are kept. */
  saveRun(input: RunInput): Promise<ArchivedRun>;
  findRun(runNamespace: string, runName: string): Promise<ArchivedRun | undefined>;
  listRuns(
    filter: RunFilter,
    page: { limit: number; offset: number },
  ): Promise<{ data: ArchivedRun[]; total: number }>;
  /**
   * Stores one step's log (already redacted), replacing an earlier upload of the same
   * step. `position` orders the steps of a run. Keeps the run under `capBytes` by
   * dropping its oldest chunks.
   */
  writeStep(
    runId: string,
    step: { position: number; task: string; step: string },
    source: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>,
    capBytes: number,
    /** The fingerprint of the rules `source` was redacted with. */
    redaction?: string,
  ): Promise<{ bytes: number; truncated: boolean }>;
  /**
   * How the run's chunks are stored: whether every one was redacted with exactly the
   * rules named by `fingerprint`, and whether every one is a joinable segment (chunks
   * stored before migration 5 are not).
   */
  storage(runId: string, fingerprint: string): Promise<{ redacted: boolean; segments: boolean }>;
  steps(runId: string): Promise<StepLog[]>;
  /** The log in order, chunk by chunk; `step` limits it to one step (`task/step` or `step`). */
  read(runId: string, step?: string): AsyncIterable<{ task: string; step: string; data: Buffer }>;
  /** The stored segments in order, not decompressed (only when `storage` says `segments`). */
  readSegments(runId: string, step?: string): AsyncIterable<LogSegment>;
  /**
   * Deletes a run and its logs, only while it is still recorded for `namespace` (a run
   * the cluster says belongs to someone else: src/logs/run-ownership.ts).
   */
  dropRun(runId: string, namespace: string): Promise<void>;
  /** Deletes runs archived before `olderThan`, and all but the newest `keepPerComponent` of each component. */
  prune(options: { olderThan: Date; keepPerComponent: number }): Promise<number>;
}

export function createLogArchive(db: Database): LogArchive {
  return {
    async saveRun(input) {
      return db
        .transaction(async (tx) => {
          // A run name freed by a deleted run and taken by a new one: the new run replaces it.
          await tx.query(
            'DELETE FROM mintmaker_runs WHERE run_namespace = $1 AND run_name = $2 AND run_uid <> $3 AND namespace = $4',
            [input.runNamespace, input.runName, input.runUid, input.namespace],
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
              input.runName,
              input.runUid,
              input.namespace,
              input.component,
              input.gitHost ?? null,
              input.repository ?? null,
              input.branch ?? null,
              input.repoBranchHash ?? null,
              input.status,
              input.startedAt ?? null,
              input.completedAt ?? null,
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
    },

    async findRun(runNamespace, runName) {
      const result = await db.query<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM mintmaker_runs WHERE run_namespace = $1 AND run_name = $2`,
        [runNamespace, runName],
      );
      const row = result.rows[0];
      return row ? toRun(row) : undefined;
    },

    async listRuns(filter, page) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.namespaces) {
        params.push(filter.namespaces);
        where.push(`namespace = ANY($${params.length}::text[])`);
      }
      if (filter.component) {
        params.push(filter.component);
        where.push(`component = $${params.length}`);
      }
      if (filter.repoBranchHash) {
        params.push(filter.repoBranchHash);
        where.push(`repo_branch_hash = $${params.length}`);
      }
      const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const [rows, total] = await Promise.all([
        db.query<RunRow>(
          `SELECT ${RUN_COLUMNS} FROM mintmaker_runs ${clause}
           ORDER BY coalesce(completed_at, started_at, archived_at) DESC, id DESC
           LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
          [...params, page.limit, page.offset],
        ),
        db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mintmaker_runs ${clause}`, params),
      ]);
      return { data: rows.rows.map(toRun), total: total.rows[0]?.n ?? 0 };
    },

    async writeStep(runId, step, source, capBytes, redaction) {
      // The step is written aside (negative seq, which no reader sees) and swapped in
      // whole once complete: an upload that fails midway leaves the step as it was.
      // The aside range is the step's position's, so one upload of a position at a time
      // may write it: the upload claims it, proves the claim with every chunk it writes
      // (which renews it), and gives it up with the swap.
      const first = step.position * STEP_SEQS;
      const aside = (index: number) => -1 - (first + index);
      const token = randomUUID();
      const claimed = await db
        .query(
          `INSERT INTO mintmaker_log_uploads (run_id, position, token) VALUES ($1, $2, $3)
           ON CONFLICT (run_id, position) DO UPDATE SET token = EXCLUDED.token, renewed_at = now()
           WHERE mintmaker_log_uploads.renewed_at < now() - $4::interval
           RETURNING token`,
          [runId, step.position, token, `${CLAIM_EXPIRES_SECONDS} seconds`],
        )
        .catch((error: unknown) => {
          // The run was deleted since it was looked up (pruned, or dropped because the
          // cluster says it is someone else's: src/logs/run-ownership.ts).
          if (isForeignKeyViolation(error)) throw new NotFoundError('MintMaker run not found');
          throw error;
        });
      if (claimed.rows.length === 0) throw new ConflictError(UPLOAD_IN_PROGRESS);
      /** Gives the claim up and clears what is aside, if the claim is still this upload's. */
      const abandon = () =>
        db.transaction(async (tx) => {
          const released = await tx.query(RELEASE_CLAIM, [runId, step.position, token]);
          if (released.rows.length === 0) return;
          await tx.query(
            'DELETE FROM mintmaker_log_chunks WHERE run_id = $1 AND seq BETWEEN $2 AND $3',
            [runId, aside(STEP_SEQS - 1), aside(0)],
          );
        });
      // Chunks beyond the cap are dropped while writing (the oldest first).
      const keep = Math.ceil(capBytes / CHUNK_BYTES) + 1;
      let buffered: Buffer[] = [];
      let size = 0;
      let written = 0;
      let chunkIndex = 0;
      const flush = async () => {
        if (size === 0) return;
        if (chunkIndex >= STEP_SEQS) {
          throw new InputError(
            `A step's log is limited to ${STEP_SEQS} chunks of ${CHUNK_BYTES} bytes`,
          );
        }
        const raw = Buffer.concat(buffered, size);
        buffered = [];
        size = 0;
        const data = await deflateRaw(raw, SEGMENT);
        // Written only while the claim is this upload's (renewing it); the chunk the cap
        // lets go of is dropped by the same statement.
        const inserted = await db.query(
          `WITH claim AS (
             UPDATE mintmaker_log_uploads SET renewed_at = now()
             WHERE run_id = $1 AND position = $9 AND token = $10 RETURNING run_id
           ), dropped AS (
             DELETE FROM mintmaker_log_chunks c USING claim
             WHERE c.run_id = claim.run_id AND c.seq = $11
           )
           INSERT INTO mintmaker_log_chunks (run_id, seq, task, step, bytes, data, redaction, crc32)
           SELECT claim.run_id, $2, $3, $4, $5, $6, $7, $8 FROM claim
           RETURNING seq`,
          [
            runId,
            aside(chunkIndex),
            step.task,
            step.step,
            raw.length,
            data,
            redaction ?? null,
            crc32(raw),
            step.position,
            token,
            chunkIndex >= keep ? aside(chunkIndex - keep) : null,
          ],
        );
        if (inserted.rows.length === 0) throw new ConflictError(UPLOAD_TAKEN_OVER);
        chunkIndex += 1;
        written += raw.length;
      };
      try {
        // What an upload that died with its process left aside.
        await db.query(
          `DELETE FROM mintmaker_log_chunks WHERE run_id = $1 AND seq BETWEEN $2 AND $3
           AND EXISTS (SELECT 1 FROM mintmaker_log_uploads WHERE run_id = $1 AND position = $4 AND token = $5)`,
          [runId, aside(STEP_SEQS - 1), aside(0), step.position, token],
        );
        for await (const piece of source) {
          const bytes =
            typeof piece === 'string'
              ? Buffer.from(piece)
              : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
          buffered.push(bytes);
          size += bytes.length;
          while (size >= CHUNK_BYTES) {
            const all = Buffer.concat(buffered, size);
            buffered = [all.subarray(0, CHUNK_BYTES)];
            size = CHUNK_BYTES;
            const rest = all.subarray(CHUNK_BYTES);
            await flush();
            buffered = rest.length ? [Buffer.from(rest)] : [];
            size = rest.length;
          }
        }
        await flush();
      } catch (error) {
        await abandon().catch(() => undefined);
        throw error;
      }
      const droppedWhileWriting = chunkIndex > keep;
      // In one transaction: the claim given up, the old log of the step out, the new one
      // in (seq -1 - s becomes s, the chunk's place in the run), and the run back under
      // the cap by dropping its oldest chunks.
      const result = await db
        .transaction(async (tx) => {
          const released = await tx.query(RELEASE_CLAIM, [runId, step.position, token]);
          if (released.rows.length === 0) throw new ConflictError(UPLOAD_TAKEN_OVER);
          await tx.query(
            'DELETE FROM mintmaker_log_chunks WHERE run_id = $1 AND task = $2 AND step = $3 AND seq >= 0',
            [runId, step.task, step.step],
          );
          await tx.query(
            'UPDATE mintmaker_log_chunks SET seq = -1 - seq WHERE run_id = $1 AND seq BETWEEN $2 AND $3',
            [runId, aside(STEP_SEQS - 1), aside(0)],
          );
          return tx.query<{ total: string | number; truncated: boolean }>(
            `WITH sized AS (
             SELECT seq, sum(bytes) OVER (ORDER BY seq DESC) AS tail FROM mintmaker_log_chunks
             WHERE run_id = $1 AND seq >= 0
           ), dropped AS (
             DELETE FROM mintmaker_log_chunks c USING sized
             WHERE c.run_id = $1 AND c.seq = sized.seq AND sized.tail > $2
             RETURNING c.bytes
           )
           UPDATE mintmaker_runs SET
             log_bytes = (SELECT coalesce(sum(bytes), 0) FROM mintmaker_log_chunks WHERE run_id = $1 AND seq >= 0)
                         - (SELECT coalesce(sum(bytes), 0) FROM dropped),
             truncated = truncated OR $3 OR EXISTS (SELECT 1 FROM dropped)
           WHERE id = $1
           RETURNING log_bytes AS total, truncated`,
            [runId, capBytes, droppedWhileWriting],
          );
        })
        .catch(async (error: unknown) => {
          if (error instanceof ConflictError) throw error;
          await abandon().catch(() => undefined);
          if (isUniqueViolation(error)) {
            throw new ConflictError(
              `Another step of this run is archived at position ${step.position}`,
            );
          }
          throw error;
        });
      return { bytes: written, truncated: result.rows[0]?.truncated ?? false };
    },

    async storage(runId, fingerprint) {
      const result = await db.query<{ redacted: boolean; segments: boolean }>(
        `SELECT coalesce(bool_and(redaction IS NOT DISTINCT FROM $2), true) AS redacted,
                coalesce(bool_and(crc32 IS NOT NULL), true) AS segments
         FROM mintmaker_log_chunks WHERE run_id = $1 AND seq >= 0`,
        [runId, fingerprint],
      );
      const row = result.rows[0];
      return { redacted: row?.redacted ?? false, segments: row?.segments ?? false };
    },

    async steps(runId) {
      const result = await db.query<{
        position: number;
        task: string;
        step: string;
        bytes: string | number;
      }>(
        `SELECT min(seq) / ${STEP_SEQS} AS position, task, step, sum(bytes) AS bytes FROM mintmaker_log_chunks
         WHERE run_id = $1 AND seq >= 0 GROUP BY task, step ORDER BY min(seq)`,
        [runId],
      );
      return result.rows.map((r) => ({
        position: Number(r.position),
        task: r.task,
        step: r.step,
        bytes: Number(r.bytes),
      }));
    },

    read(runId, step) {
      // Inflated on this thread, into one buffer of the chunk's known size (with room for
      // zlib to see the end): a chunk takes well under a millisecond, and a hand-off to
      // the thread pool per chunk cost more CPU than the inflating itself.
      return chunks(db, runId, step, (row) => ({
        task: row.task,
        step: row.step,
        data:
          row.crc32 === null
            ? gunzipSync(row.data, { chunkSize: outputSize(row.bytes) })
            : inflateRawSync(row.data, { ...SEGMENT, chunkSize: outputSize(row.bytes) }),
      }));
    },

    readSegments(runId, step) {
      return chunks(db, runId, step, (row) => {
        if (row.crc32 === null) throw new Error('a chunk stored before segments cannot be joined');
        return {
          task: row.task,
          step: row.step,
          data: Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength),
          crc32: Number(row.crc32),
          bytes: Number(row.bytes),
        };
      });
    },

    async dropRun(runId, namespace) {
      await db.query('DELETE FROM mintmaker_runs WHERE id = $1 AND namespace = $2', [
        runId,
        namespace,
      ]);
    },

    async prune({ olderThan, keepPerComponent }) {
      const result = await db.query(
        `DELETE FROM mintmaker_runs WHERE id IN (
           SELECT id FROM (
             SELECT id, archived_at, row_number() OVER (
               PARTITION BY namespace, component
               ORDER BY coalesce(completed_at, started_at, archived_at) DESC, id DESC) AS n
             FROM mintmaker_runs
           ) ranked WHERE ranked.archived_at < $1 OR ranked.n > $2
         )`,
        [olderThan, keepPerComponent],
      );
      return result.rowCount;
    },
  };
}

interface ChunkRow {
  seq: number;
  task: string;
  step: string;
  bytes: number | string;
  data: Uint8Array;
  crc32: number | string | null;
}

const outputSize = (bytes: number | string) =>
  Math.min(Math.max(Number(bytes), 0) + 1024, MAX_OUTPUT_BYTES);

/**
 * A run's chunks in order (one step's with `step`: `task/step` or `step`), a batch of
 * stored rows per query, each row decoded as it is sent; while one batch is sent the
 * next is read. Memory stays at two batches of stored rows and one decoded chunk whatever
 * the log size; the first batch is small, so that the first bytes leave soon.
 */
async function* chunks<T>(
  db: Database,
  runId: string,
  step: string | undefined,
  decode: (row: ChunkRow) => T,
): AsyncGenerator<T> {
  const [task, name] = step?.includes('/') ? step.split('/', 2) : [undefined, step];
  const batch = async (after: number, size: number) => {
    const result = await db.query<ChunkRow>(
      `SELECT seq, task, step, bytes, data, crc32 FROM mintmaker_log_chunks
       WHERE run_id = $1 AND seq > $2 AND ($3::text IS NULL OR task = $3) AND ($4::text IS NULL OR step = $4)
       ORDER BY seq LIMIT $5`,
      [runId, after, task ?? null, name ?? null, size],
    );
    return { rows: result.rows, full: result.rows.length === size };
  };
  let next = batch(-1, FIRST_READ_BATCH);
  for (;;) {
    const current = await next;
    const last = current.rows.at(-1)?.seq;
    if (last === undefined) return;
    if (current.full) {
      next = batch(last, READ_BATCH);
      // An unhandled rejection of the read-ahead would crash; it is awaited next turn.
      next.catch(() => undefined);
    }
    for (const row of current.rows) yield decode(row);
    if (!current.full) return;
  }
}
