/**
 * The archive of MintMaker run logs in PostgreSQL. Pods are pruned soon after runs
 * finish, so the operator uploads each step's log when a run completes; the server
 * keeps it redacted and compressed in chunks, in step order: raw DEFLATE segments that
 * join into one gzip body as they are (src/logs/gzip-segments.ts). Writing and reading
 * go chunk by chunk, so memory stays flat whatever the size of a log; a per-run size
 * cap drops the oldest chunks (the tail is where a failure is) and marks the run
 * truncated.
 *
 * This module is the interface; the parts are `archive-runs.ts` (the run rows and their
 * SQL), `archive-upload.ts` (writing a step under an upload claim) and `archive-read.ts`
 * (reading and inflating).
 */
import type { Database } from '../store/database.js';
import {
  read,
  readSegments,
  steps,
  storage,
  type LogSegment,
  type StepLog,
} from './archive-read.js';
import {
  countNewer,
  dropRun,
  findRun,
  listRuns,
  prune,
  saveRun,
  type ArchivedRun,
  type RunFilter,
  type RunInput,
  type RunPage,
} from './archive-runs.js';
import { writeStep } from './archive-upload.js';

export type { ArchivedRun, RunFilter, RunInput, RunKey, RunPage } from './archive-runs.js';
export type { LogSegment, StepLog } from './archive-read.js';
export { CHUNK_BYTES } from './archive-upload.js';

export interface LogArchive {
  /** Records (or refreshes) a run; its logs are kept. */
  saveRun(input: RunInput): Promise<ArchivedRun>;
  findRun(runNamespace: string, name: string): Promise<ArchivedRun | undefined>;
  /** A page of the filter's runs, newest first, and how many there are in all. */
  listRuns(filter: RunFilter, page: RunPage): Promise<{ data: ArchivedRun[]; total: number }>;
  /**
   * For each time (ISO 8601, or null for none yet), how many of the filter's runs sort
   * before a run of that time: where a live run goes among the archived ones.
   */
  countNewer(filter: RunFilter, times: readonly (string | null)[]): Promise<number[]>;
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
    saveRun: (input) => saveRun(db, input),
    findRun: (runNamespace, name) => findRun(db, runNamespace, name),
    listRuns: (filter, page) => listRuns(db, filter, page),
    countNewer: (filter, times) => countNewer(db, filter, times),
    writeStep: (runId, step, source, capBytes, redaction) =>
      writeStep(db, runId, step, source, capBytes, redaction),
    storage: (runId, fingerprint) => storage(db, runId, fingerprint),
    steps: (runId) => steps(db, runId),
    read: (runId, step) => read(db, runId, step),
    readSegments: (runId, step) => readSegments(db, runId, step),
    dropRun: (runId, namespace) => dropRun(db, runId, namespace),
    prune: (options) => prune(db, options),
  };
}
