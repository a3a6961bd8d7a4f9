/**
 * The MintMaker log service: which run a caller asked for and where its log is, the
 * listing of runs live and archived, and the log's byte stream. The HTTP layer
 * (src/api/routes/mintmaker.ts) only validates and answers; who may read a run is
 * decided by the caller's `authorize` (the API's guard), always on the run's owner
 * namespace as the cluster, else the archive, else KubeArchive says.
 *
 * Listing merges the cluster's runs (a handful: those not yet pruned) into the archive's
 * without reading the archive whole: the database counts where each live run falls
 * among the archived ones, and reads only the archived rows of the page asked for.
 */
import { pipeline, Readable } from 'node:stream';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import type { FastifyBaseLogger } from 'fastify';
import type { Caller } from '../auth/access.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import {
  runTime,
  viewRun,
  type MintmakerRun,
  type MintmakerRunStatus,
  type MintmakerRunView,
} from '../domain/mintmaker-run.js';
import type { ArchivedRun, LogArchive, RunFilter, RunKey, RunPage } from './archive.js';
import { parallelGzip } from './gzip-segments.js';
import type { LiveCluster, LiveRun } from './live.js';
import type { Redactor } from './redact.js';
import { renovateLine } from './renovate-format.js';
import { archiveSections, linewise, liveSections } from './run-log-streams.js';
import type { RunOwnership } from './run-ownership.js';

export interface RunLogsOptions {
  archive: LogArchive;
  /** The live cluster (absent without a Kubernetes configuration: archive only). */
  live: LiveCluster | undefined;
  /** KubeArchive (same API as the cluster), for runs neither the cluster nor the archive has. */
  kubearchive: LiveCluster | undefined;
  /** Whose a run is, from the cluster; who may archive runs. */
  ownership: RunOwnership;
  redactor: Redactor;
  /** Where MintMaker runs its PipelineRuns. */
  mintmakerNamespace: string;
  /** Per-run archive cap; beyond it the oldest part of the log is dropped. */
  logCapBytes: number;
}

/** A run as each source knows it; at least one is there. */
export interface FoundRun {
  name: string;
  live: LiveRun | undefined;
  archived: ArchivedRun | undefined;
  /** KubeArchive's, read only when neither the cluster nor the archive has the run. */
  kept: LiveRun | undefined;
}

/** Checks the caller may read a run of this owner namespace; throws otherwise. */
export type Authorize = (ownerNamespace: string) => Promise<void>;

export interface RunListQuery {
  namespace?: string | undefined;
  component?: string | undefined;
  status?: MintmakerRunStatus | undefined;
}

export interface LogRequest {
  /** `step` or `task/step`. */
  step?: string | undefined;
  format?: 'raw' | 'text' | undefined;
  follow?: boolean | undefined;
  /** The client accepts gzip. */
  gzip: boolean;
}

export interface OpenedLog {
  body: NodeJS.ReadableStream;
  source: 'live' | 'archive' | 'kubearchive';
}

export interface RunLogs {
  /** The run at `at`, after `authorize` on its owner; a run no source has is a 404. */
  readableRun(at: RunKey, authorize: Authorize, log: FastifyBaseLogger): Promise<FoundRun>;
  /** The runs of the query, newest first (a run with no time yet first), each once. */
  listRuns(
    query: RunListQuery,
    page: RunPage,
  ): Promise<{ data: MintmakerRunView[]; total: number }>;
  /** The run's log, redacted: live while its pods exist (always when following), else archived. */
  openLog(found: FoundRun, request: LogRequest, log: FastifyBaseLogger): Promise<OpenedLog>;
  /** 403 unless `caller` may archive runs. */
  requireUploader(caller: Caller): void;
  /** Archives a run; the cluster's component wins over the registration's. */
  registerRun(run: MintmakerRun, log: FastifyBaseLogger): Promise<MintmakerRunView>;
  /** Streams one step's log through redaction into the archive; `authorize` checks report rights. */
  uploadStep(
    at: RunKey,
    step: { position: number; task: string; step: string },
    body: NodeJS.ReadableStream,
    authorize: Authorize,
    log: FastifyBaseLogger,
  ): Promise<{ bytes: number; truncated: boolean }>;
}

const NOT_FOUND = 'MintMaker run not found';

const keyOf = (run: RunKey) => `${run.runNamespace}/${run.name}`;

export function createRunLogs(options: RunLogsOptions): RunLogs {
  const { archive, ownership, redactor } = options;

  const listRuns: RunLogs['listRuns'] = async (query, page) => {
    const filter: RunFilter = {
      ...(query.namespace ? { namespaces: [query.namespace] } : {}),
      ...(query.component ? { component: query.component } : {}),
      ...(query.status ? { statuses: [query.status] } : {}),
    };
    const live = (await options.live?.listRuns(options.mintmakerNamespace, query.namespace)) ?? [];
    const present = live.filter(
      (run) =>
        (!query.namespace || run.namespace === query.namespace) &&
        (!query.component || run.component === query.component),
    );
    const wanted = present
      .filter((run) => !query.status || run.status === query.status)
      .map((run, index) => ({ run, index, at: runTime(run) }))
      .sort((a, b) => (b.at ?? Infinity) - (a.at ?? Infinity) || a.index - b.index);
    if (present.length === 0) {
      const found = await archive.listRuns(filter, page);
      return { data: found.data.map((run) => viewRun(run, run)), total: found.total };
    }
    // The archived runs that are not live (a live run is as the cluster shows it, its
    // status included); each live run goes where it sorts among them (ahead of archived
    // runs of the same time), its place counted by the database.
    const rest: RunFilter = { ...filter, except: present };
    const newer = await archive.countNewer(
      rest,
      wanted.map(({ at }) => (at === null ? null : new Date(at).toISOString())),
    );
    const end = page.offset + page.limit;
    const placed = wanted.map((entry, i) => ({ ...entry, position: (newer[i] ?? 0) + i }));
    const onPage = placed.filter(({ position }) => position >= page.offset && position < end);
    const liveBefore = placed.filter(({ position }) => position < page.offset).length;
    const [archived, stored] = await Promise.all([
      archive.listRuns(rest, {
        offset: page.offset - liveBefore,
        limit: page.limit - onPage.length,
      }),
      // What the archive holds of the live runs shown (their log may be archived already).
      onPage.length === 0
        ? undefined
        : archive.listRuns(
            {
              ...(filter.namespaces ? { namespaces: filter.namespaces } : {}),
              ...(filter.component ? { component: filter.component } : {}),
              only: onPage.map(({ run }) => run),
            },
            { offset: 0, limit: onPage.length },
          ),
    ]);
    const storedByKey = new Map(stored?.data.map((run) => [keyOf(run), run]));
    const liveAt = new Map(onPage.map((entry) => [entry.position, entry.run]));
    const data: MintmakerRunView[] = [];
    let next = 0;
    for (let position = page.offset; position < end; position += 1) {
      const run = liveAt.get(position);
      const row = run ? undefined : archived.data[next++];
      if (run) data.push(viewRun(run, storedByKey.get(keyOf(run))));
      else if (row) data.push(viewRun(row, row));
    }
    return { data, total: wanted.length + archived.total };
  };

  return {
    async readableRun(at, authorize, log) {
      const [live, stored] = await Promise.all([
        ownership.liveRun(at.runNamespace, at.name),
        archive.findRun(at.runNamespace, at.name),
      ]);
      // A stored run the live PipelineRun says is someone else's is never served.
      const archived = await ownership.reconcile(stored, live, 'read', log);
      const kept =
        live || archived ? undefined : await options.kubearchive?.findRun(at.runNamespace, at.name);
      const owner = live?.namespace ?? archived?.namespace ?? kept?.namespace;
      if (owner === undefined) throw new NotFoundError(NOT_FOUND);
      await authorize(owner);
      return { name: at.name, live, archived, kept };
    },

    listRuns,

    async openLog(found, request, log) {
      const wanted = request.step;
      const follow = request.follow === true;
      const matches = (step: { task: string; step: string }) =>
        !wanted || step.step === wanted || `${step.task}/${step.step}` === wanted;
      const noStep = () => new NotFoundError(`Run ${found.name} has no step ${wanted}`);
      const live = options.live;
      const liveRun = found.live;
      const liveSteps = liveRun && live ? await live.steps(liveRun) : [];
      const pods = [...new Set(liveSteps.map((step) => step.pod))];
      const podsAlive =
        liveRun !== undefined &&
        live !== undefined &&
        pods.length > 0 &&
        (await Promise.all(pods.map((pod) => live.podExists(liveRun.runNamespace, pod)))).every(
          Boolean,
        );
      let source: Readable;
      let from: OpenedLog['source'];
      let alreadyRedacted = false;
      /** The source is the gzip body itself (stored segments joined as they are). */
      let encoded = false;
      // The live pods while they exist (and always when following); the archive after.
      if (liveRun && live && (podsAlive || !found.archived || follow)) {
        if (wanted && !liveSteps.some(matches) && !follow) throw noStep();
        source = liveSections(live, liveRun, matches, follow, liveSteps);
        from = 'live';
      } else if (found.archived) {
        const archived = found.archived;
        const [steps, storage] = await Promise.all([
          wanted ? archive.steps(archived.id) : [],
          archive.storage(archived.id, redactor.fingerprint),
        ]);
        if (wanted && !steps.some(matches)) throw noStep();
        // Stored redacted under today's rules: no second pass needed; and to a gzip
        // client, the stored segments go out as they are, never decompressed.
        alreadyRedacted = storage.redacted;
        encoded = request.gzip && storage.redacted && storage.segments && request.format !== 'text';
        source = Readable.from(archiveSections(archive, archived, wanted, encoded));
        from = 'archive';
      } else if (found.kept && options.kubearchive) {
        const keptSteps = await options.kubearchive.steps(found.kept);
        if (wanted && !keptSteps.some(matches)) throw noStep();
        source = liveSections(options.kubearchive, found.kept, matches, false, keptSteps);
        from = 'kubearchive';
      } else {
        throw new NotFoundError(NOT_FOUND);
      }
      const stages: NodeJS.ReadWriteStream[] = [];
      if (!encoded) {
        if (!alreadyRedacted) stages.push(redactor.stream());
        if (request.format === 'text') stages.push(linewise(renovateLine));
        // Compressed on the fly at the fastest level (a log is repetitive enough that it
        // still shrinks tens of times), several segments at once. Following, a zlib
        // stream flushes every piece so that lines arrive as they are written.
        if (request.gzip) {
          stages.push(
            follow
              ? createGzip({ level: zlibConstants.Z_BEST_SPEED, flush: zlibConstants.Z_SYNC_FLUSH })
              : parallelGzip(),
          );
        }
      }
      // pipeline, not pipe: a source that fails (a pod log connection cut) ends the
      // response instead of leaving it hanging.
      const body = stages.reduce<NodeJS.ReadableStream>(
        (previous, stage) =>
          pipeline(previous, stage, (error) => {
            if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
              log.warn({ err: error.message, run: found.name }, 'serving a run log failed midway');
            }
          }),
        source,
      );
      return { body, source: from };
    },

    requireUploader: (caller) => ownership.requireUploader(caller),

    async registerRun(run, log) {
      const live = await ownership.checkRegistration(run, log);
      const saved = await archive.saveRun({ ...run, component: live?.component ?? run.component });
      return viewRun(saved, saved);
    },

    async uploadStep(at, step, body, authorize, log) {
      const [stored, live] = await Promise.all([
        archive.findRun(at.runNamespace, at.name),
        ownership.liveRun(at.runNamespace, at.name),
      ]);
      if (!stored) throw new NotFoundError(NOT_FOUND);
      await authorize(stored.namespace);
      const run = await ownership.reconcile(stored, live, 'upload', log);
      if (!run) {
        throw new ConflictError(
          `Run ${at.name} in the cluster belongs to another namespace: register it again`,
        );
      }
      const redacted = redactor.stream();
      // An upload cut short fails the redaction stream, and so the write, rather than hanging it.
      pipeline(body, redacted, () => undefined);
      return archive.writeStep(run.id, step, redacted, options.logCapBytes, redactor.fingerprint);
    },
  };
}
