/**
 * Writing one step's log into the archive, and the upload-claim protocol that keeps two
 * uploads of the same step apart (migration 6, docs/mintmaker-logs.md). The step is
 * written aside (negative seq, which no reader sees) chunk by chunk, compressed as a
 * joinable DEFLATE segment (src/logs/gzip-segments.ts), and swapped in whole once
 * complete: an upload that fails midway leaves the step as it was. The per-run cap drops
 * the oldest chunks, while writing and at the swap.
 */
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { crc32, deflateRaw as deflateRawCb } from 'node:zlib';
import { ConflictError, InputError, NotFoundError } from '../domain/errors.js';
import type { Database } from '../store/database.js';
import { isForeignKeyViolation, isUniqueViolation } from '../store/pg-errors.js';
import { SEGMENT } from './gzip-segments.js';

const deflateRaw = promisify(deflateRawCb);

/** Raw bytes per stored chunk. */
export const CHUNK_BYTES = 256 * 1024;
/** seq values per step: a chunk's seq is its step's position × this + its index. */
export const STEP_SEQS = 1_000_000;
/** A claim on an upload not renewed for this long is taken to be its dead process's. */
const CLAIM_EXPIRES_SECONDS = 120;
const UPLOAD_IN_PROGRESS = 'Another upload of this step is in progress';
const UPLOAD_TAKEN_OVER =
  'This upload stalled and another upload of the step took over; the step is theirs';
const RELEASE_CLAIM =
  'DELETE FROM mintmaker_log_uploads WHERE run_id = $1 AND position = $2 AND token = $3 RETURNING token';

/**
 * Stores one step's log (already redacted), replacing an earlier upload of the same
 * step; `redaction` is the fingerprint of the rules it was redacted with.
 */
export async function writeStep(
  db: Database,
  runId: string,
  step: { position: number; task: string; step: string },
  source: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>,
  capBytes: number,
  redaction?: string,
): Promise<{ bytes: number; truncated: boolean }> {
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
}
