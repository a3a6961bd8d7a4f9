/**
 * Reading the archive's logs: how a run's chunks are stored, its steps, and the log
 * chunk by chunk — inflated here, or as the stored DEFLATE segments for a gzip client
 * (src/logs/gzip-segments.ts). Memory stays flat whatever the size of a log.
 */
import { gunzipSync, inflateRawSync } from 'node:zlib';
import type { Queryable } from '../store/database.js';
import { SEGMENT } from './gzip-segments.js';
import { CHUNK_BYTES, STEP_SEQS } from './archive-upload.js';

/** Chunks read per query when serving (2 MiB raw); the first query reads fewer. */
const READ_BATCH = 8;
const FIRST_READ_BATCH = 2;
/** The largest output buffer a chunk's decompression starts with. */
const MAX_OUTPUT_BYTES = 4 * CHUNK_BYTES;

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

/**
 * How the run's chunks are stored: whether every one was redacted with exactly the
 * rules named by `fingerprint`, and whether every one is a joinable segment (chunks
 * stored before migration 5 are not).
 */
export async function storage(
  db: Queryable,
  runId: string,
  fingerprint: string,
): Promise<{ redacted: boolean; segments: boolean }> {
  const result = await db.query<{ redacted: boolean; segments: boolean }>(
    `SELECT coalesce(bool_and(redaction IS NOT DISTINCT FROM $2), true) AS redacted,
            coalesce(bool_and(crc32 IS NOT NULL), true) AS segments
     FROM mintmaker_log_chunks WHERE run_id = $1 AND seq >= 0`,
    [runId, fingerprint],
  );
  const row = result.rows[0];
  return { redacted: row?.redacted ?? false, segments: row?.segments ?? false };
}

export async function steps(db: Queryable, runId: string): Promise<StepLog[]> {
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
}

/** The log in order, chunk by chunk; `step` limits it to one step (`task/step` or `step`). */
export function read(
  db: Queryable,
  runId: string,
  step?: string,
): AsyncIterable<{ task: string; step: string; data: Buffer }> {
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
}

/** The stored segments in order, not decompressed (only when `storage` says `segments`). */
export function readSegments(
  db: Queryable,
  runId: string,
  step?: string,
): AsyncIterable<LogSegment> {
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
  db: Queryable,
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
