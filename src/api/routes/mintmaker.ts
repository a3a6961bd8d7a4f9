/**
 * MintMaker run logs for their owners only. MintMaker runs Renovate in its own namespace,
 * so plain RBAC could only show those logs to everyone or to no one; here each request is
 * checked against the namespace of the run's *component*. Callers who may read the
 * MintMaker namespace itself (the MintMaker team) may read every run; anyone else gets
 * the same 404 as for a run that does not exist.
 *
 * - `GET /api/v1/mintmaker/runs?namespace=&component=`: the runs of a namespace, newest first.
 * - `GET /api/v1/mintmaker/runs/:run/logs?step=&format=text`: the log as text, step by
 *   step, each section headed by its task and step; gzip when the client accepts it.
 * - `POST /api/v1/mintmaker/runs` and `PUT /api/v1/mintmaker/runs/:run/steps/:task/:step`:
 *   the operator archives a completed run (report permission on the component's namespace;
 *   whose the run is comes from the cluster: src/logs/run-ownership.ts).
 */
import { PassThrough, pipeline, Readable, Transform } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AccessControl } from '../../auth/access.js';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { ArchivedRun, LogArchive } from '../../logs/archive.js';
import { GzipJoiner, parallelGzip } from '../../logs/gzip-segments.js';
import type { Redactor } from '../../logs/redact.js';
import type { LiveCluster, LiveRun, LiveStep } from '../../logs/live.js';
import type { RunOwnership } from '../../logs/run-ownership.js';
import { renovateLine } from '../../logs/renovate-format.js';
import { acceptsGzip } from '../content-coding.js';
import type { Guard } from '../guard.js';
import { ErrorSchema } from '../schemas.js';

export interface MintmakerRouteDeps {
  archive: LogArchive;
  /** The live cluster (absent without a Kubernetes configuration: archive only). */
  live: LiveCluster | undefined;
  /** KubeArchive (same API as the cluster), for runs neither the cluster nor the archive has. */
  kubearchive: LiveCluster | undefined;
  guard: Guard;
  access: AccessControl;
  /** Whose a run is, from the cluster; who may archive runs. */
  ownership: RunOwnership;
  redactor: Redactor;
  /** Where MintMaker runs its PipelineRuns; its readers may read every run. */
  mintmakerNamespace: string;
  /** Per-run archive cap; beyond it the oldest part of the log is dropped. */
  logCapBytes: number;
}

const NOT_FOUND = 'MintMaker run not found';
/** While following a running run, how often to look for the next steps. */
const FOLLOW_POLL_MS = 1000;
const Name = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
});
// Spelled out (not mapped from a list) so `Static<>` gives the typed client the union.
const Status = Type.Union([
  Type.Literal('Succeeded'),
  Type.Literal('Failed'),
  Type.Literal('Running'),
  Type.Literal('Unknown'),
]);
const Time = Type.String({ format: 'date-time' });

export const RunSchema = Type.Object({
  name: Type.String(),
  runNamespace: Type.String(),
  namespace: Type.String(),
  component: Type.String(),
  gitHost: Type.Union([Type.String(), Type.Null()]),
  repository: Type.Union([Type.String(), Type.Null()]),
  branch: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  startTime: Type.Union([Type.String(), Type.Null()]),
  completionTime: Type.Union([Type.String(), Type.Null()]),
  archived: Type.Boolean(),
  logBytes: Type.Number(),
  truncated: Type.Boolean(),
});

export const RunInputSchema = Type.Object(
  {
    name: Name,
    runNamespace: Type.Optional(Name),
    uid: Type.String({ minLength: 1, maxLength: 128 }),
    namespace: Name,
    component: Type.String({ minLength: 1, maxLength: 253 }),
    gitHost: Type.Optional(Type.String({ maxLength: 253 })),
    repository: Type.Optional(Type.String({ maxLength: 1024 })),
    branch: Type.Optional(Type.String({ maxLength: 1024 })),
    repoBranchHash: Type.Optional(Type.String({ pattern: '^[0-9a-f]{12}$' })),
    status: Status,
    startTime: Type.Optional(Time),
    completionTime: Type.Optional(Time),
  },
  { additionalProperties: false },
);

/** A run as listed: from the cluster when it is still there, with what the archive holds. */
const liveView = (run: LiveRun, archived: ArchivedRun | undefined) => ({
  name: run.name,
  runNamespace: run.runNamespace,
  namespace: run.namespace,
  component: run.component,
  gitHost: run.gitHost,
  repository: run.repository,
  branch: run.branch,
  status: run.status,
  startTime: run.startTime,
  completionTime: run.completionTime,
  archived: archived !== undefined,
  logBytes: archived?.logBytes ?? 0,
  truncated: archived?.truncated ?? false,
});

/** An archived run, listed the same way. */
const view = (run: ArchivedRun) =>
  liveView(
    {
      ...run,
      name: run.runName,
      uid: run.runUid,
      startTime: run.startedAt,
      completionTime: run.completedAt,
    },
    run,
  );

export function mintmakerRoutes(app: FastifyInstance, deps: MintmakerRouteDeps): void {
  /**
   * The run as the cluster shows it and as the archive holds it, if the caller may read
   * it: in the component's namespace, or as a reader of the MintMaker namespace.
   * Otherwise the same 404 as an unknown run.
   */
  const readableRun = async (request: FastifyRequest, runNamespace: string, name: string) => {
    const caller = await deps.guard.caller(request);
    const [live, stored] = await Promise.all([
      deps.ownership.liveRun(runNamespace, name),
      deps.archive.findRun(runNamespace, name),
    ]);
    // A stored run the live PipelineRun says is someone else's is never served.
    const archived = await deps.ownership.reconcile(stored, live, 'read', request.log);
    const kept = live || archived ? undefined : await deps.kubearchive?.findRun(runNamespace, name);
    const owner = live?.namespace ?? archived?.namespace ?? kept?.namespace;
    if (owner === undefined) throw new NotFoundError(NOT_FOUND);
    const allowed =
      (await deps.access.allowed(caller, 'read', owner)) ||
      (await deps.access.allowed(caller, 'read', deps.mintmakerNamespace));
    if (!allowed) throw new NotFoundError(NOT_FOUND);
    return { live, archived, kept };
  };

  app.get(
    '/api/v1/mintmaker/runs',
    {
      schema: {
        tags: ['mintmaker'],
        summary: 'MintMaker runs of a namespace, newest first',
        querystring: Type.Object({
          namespace: Type.Optional(Name),
          component: Type.Optional(Type.String({ minLength: 1 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          // Bounded like every paginated route: past the archive's 10,000 newest runs
          // (what a merged listing reads) there is nothing more to page through.
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, default: 0 })),
        }),
        response: {
          200: Type.Object({
            data: Type.Array(RunSchema),
            total: Type.Integer(),
            limit: Type.Integer(),
            offset: Type.Integer(),
          }),
          400: ErrorSchema,
          401: ErrorSchema,
          403: ErrorSchema,
          503: ErrorSchema,
        },
      },
    },
    async (request) => {
      const query = request.query as {
        namespace?: string;
        component?: string;
        limit: number;
        offset: number;
      };
      if (query.namespace) {
        await deps.guard.requireNamespace(request, 'read', query.namespace);
      } else {
        // Every namespace at once is for the MintMaker team only.
        await deps.guard.requireNamespace(request, 'read', deps.mintmakerNamespace);
      }
      const page = { limit: query.limit, offset: query.offset };
      const filter = {
        ...(query.namespace ? { namespaces: [query.namespace] } : {}),
        ...(query.component ? { component: query.component } : {}),
      };
      const live = (await deps.live?.listRuns(deps.mintmakerNamespace, query.namespace)) ?? [];
      const wanted = live.filter(
        (run) =>
          (!query.namespace || run.namespace === query.namespace) &&
          (!query.component || run.component === query.component),
      );
      if (wanted.length === 0) {
        const found = await deps.archive.listRuns(filter, page);
        return { data: found.data.map(view), total: found.total, ...page };
      }
      // Runs still in the cluster and archived ones, newest first, each once.
      const archived = await deps.archive.listRuns(filter, { limit: 10_000, offset: 0 });
      const byName = new Map(
        archived.data.map((run) => [`${run.runNamespace}/${run.runName}`, run]),
      );
      const merged = [
        ...wanted.map((run) => liveView(run, byName.get(`${run.runNamespace}/${run.name}`))),
        ...archived.data
          .filter(
            (run) =>
              !wanted.some((l) => l.runNamespace === run.runNamespace && l.name === run.runName),
          )
          .map(view),
      ].sort((a, b) =>
        (b.completionTime ?? b.startTime ?? '9999').localeCompare(
          a.completionTime ?? a.startTime ?? '9999',
        ),
      );
      return {
        data: merged.slice(page.offset, page.offset + page.limit),
        total: merged.length,
        ...page,
      };
    },
  );

  app.get(
    '/api/v1/mintmaker/runs/:run/logs',
    {
      schema: {
        tags: ['mintmaker'],
        summary: "A MintMaker run's logs as text, every step in order",
        params: Type.Object({ run: Name }),
        querystring: Type.Object({
          step: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
          format: Type.Optional(Type.Union([Type.Literal('raw'), Type.Literal('text')])),
          runNamespace: Type.Optional(Name),
          follow: Type.Optional(Type.Boolean()),
        }),
        response: { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 503: ErrorSchema },
      },
    },
    async (request, reply) => {
      const { run: name } = request.params as { run: string };
      const query = request.query as {
        step?: string;
        format?: 'raw' | 'text';
        runNamespace?: string;
        follow?: boolean;
      };
      const found = await readableRun(request, query.runNamespace ?? deps.mintmakerNamespace, name);
      const wanted = query.step;
      const matches = (step: { task: string; step: string }) =>
        !wanted || step.step === wanted || `${step.task}/${step.step}` === wanted;
      const gzip = acceptsGzip(request.headers['accept-encoding']);
      let source: Readable;
      let from: 'live' | 'archive' | 'kubearchive';
      let alreadyRedacted = false;
      /** The source is the gzip body itself (stored segments joined as they are). */
      let encoded = false;
      const live = deps.live;
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
      // The live pods while they exist (and always when following); the archive after.
      if (liveRun && live && (podsAlive || !found.archived || query.follow === true)) {
        if (wanted && !liveSteps.some(matches) && query.follow !== true) {
          throw new NotFoundError(`Run ${name} has no step ${wanted}`);
        }
        source = liveSections(live, liveRun, matches, query.follow === true, liveSteps);
        from = 'live';
      } else if (found.archived) {
        const archived = found.archived;
        const [steps, storage] = await Promise.all([
          wanted ? deps.archive.steps(archived.id) : [],
          deps.archive.storage(archived.id, deps.redactor.fingerprint),
        ]);
        if (wanted && !steps.some(matches))
          throw new NotFoundError(`Run ${name} has no step ${wanted}`);
        // Stored redacted under today's rules: no second pass needed; and to a gzip
        // client, the stored segments go out as they are, never decompressed.
        alreadyRedacted = storage.redacted;
        encoded = gzip && storage.redacted && storage.segments && query.format !== 'text';
        source = Readable.from(archiveSections(deps.archive, archived, wanted, encoded));
        from = 'archive';
      } else if (found.kept && deps.kubearchive) {
        const kubearchive = deps.kubearchive;
        const keptSteps = await kubearchive.steps(found.kept);
        if (wanted && !keptSteps.some(matches)) {
          throw new NotFoundError(`Run ${name} has no step ${wanted}`);
        }
        source = liveSections(kubearchive, found.kept, matches, false, keptSteps);
        from = 'kubearchive';
      } else {
        throw new NotFoundError(NOT_FOUND);
      }
      void reply.header('content-type', 'text/plain; charset=utf-8');
      void reply.header('vary', 'accept-encoding');
      void reply.header('x-kite-log-source', from);
      if (gzip) void reply.header('content-encoding', 'gzip');
      // pipeline, not pipe: a source that fails (a pod log connection cut) ends the
      // response instead of leaving it hanging.
      const stages: NodeJS.ReadWriteStream[] = [];
      if (!encoded) {
        if (!alreadyRedacted) stages.push(deps.redactor.stream());
        if (query.format === 'text') stages.push(linewise(renovateLine));
        // Compressed on the fly at the fastest level (a log is repetitive enough that it
        // still shrinks tens of times), several segments at once. Following, a zlib
        // stream flushes every piece so that lines arrive as they are written.
        if (gzip) {
          stages.push(
            query.follow === true
              ? createGzip({ level: zlibConstants.Z_BEST_SPEED, flush: zlibConstants.Z_SYNC_FLUSH })
              : parallelGzip(),
          );
        }
      }
      const body = stages.reduce<NodeJS.ReadableStream>(
        (previous, stage) =>
          pipeline(previous, stage, (error) => {
            if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
              request.log.warn(
                { err: error.message, run: name },
                'serving a run log failed midway',
              );
            }
          }),
        source,
      );
      return reply.send(body);
    },
  );

  app.post(
    '/api/v1/mintmaker/runs',
    {
      schema: {
        tags: ['mintmaker'],
        summary: 'Archive a MintMaker run (the bridge operator)',
        body: RunInputSchema,
        response: {
          201: RunSchema,
          400: ErrorSchema,
          401: ErrorSchema,
          403: ErrorSchema,
          409: ErrorSchema,
          503: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const body = request.body as {
        name: string;
        runNamespace?: string;
        uid: string;
        namespace: string;
        component: string;
        gitHost?: string;
        repository?: string;
        branch?: string;
        repoBranchHash?: string;
        status: 'Succeeded' | 'Failed' | 'Running' | 'Unknown';
        startTime?: string;
        completionTime?: string;
      };
      const runNamespace = body.runNamespace ?? deps.mintmakerNamespace;
      await deps.guard.requireNamespace(request, 'report', body.namespace);
      deps.ownership.requireUploader(await deps.guard.caller(request));
      const live = await deps.ownership.checkRegistration(
        { runNamespace, name: body.name, uid: body.uid, namespace: body.namespace },
        request.log,
      );
      const saved = await deps.archive.saveRun({
        runNamespace,
        runName: body.name,
        runUid: body.uid,
        namespace: body.namespace,
        component: live?.component ?? body.component,
        status: body.status,
        ...(body.gitHost ? { gitHost: body.gitHost } : {}),
        ...(body.repository ? { repository: body.repository } : {}),
        ...(body.branch ? { branch: body.branch } : {}),
        ...(body.repoBranchHash ? { repoBranchHash: body.repoBranchHash } : {}),
        ...(body.startTime ? { startedAt: body.startTime } : {}),
        ...(body.completionTime ? { completedAt: body.completionTime } : {}),
      });
      return reply.code(201).send(view(saved));
    },
  );

  // Log uploads are streamed through redaction into the archive, never buffered whole.
  void app.register((scope, _options, done) => {
    // Only text, as a stream: not JSON or anything else the rest of the API parses.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      ['text/plain', 'application/octet-stream'],
      (_request, payload, parsed) => parsed(null, payload),
    );
    scope.put(
      '/api/v1/mintmaker/runs/:run/steps/:task/:step',
      {
        config: { accepts: 'text/plain or application/octet-stream' },
        schema: {
          tags: ['mintmaker'],
          summary: "Archive one step's log of a run (text/plain, streamed)",
          params: Type.Object({ run: Name, task: Name, step: Name }),
          querystring: Type.Object({
            position: Type.Integer({ minimum: 0, maximum: 2000 }),
            runNamespace: Type.Optional(Name),
          }),
          response: {
            200: Type.Object({ bytes: Type.Integer(), truncated: Type.Boolean() }),
            400: ErrorSchema,
            401: ErrorSchema,
            403: ErrorSchema,
            404: ErrorSchema,
            409: ErrorSchema,
            415: ErrorSchema,
            503: ErrorSchema,
          },
        },
      },
      async (request) => {
        const {
          run: name,
          task,
          step,
        } = request.params as { run: string; task: string; step: string };
        const query = request.query as { position: number; runNamespace?: string };
        deps.ownership.requireUploader(await deps.guard.caller(request));
        const runNamespace = query.runNamespace ?? deps.mintmakerNamespace;
        const [stored, live] = await Promise.all([
          deps.archive.findRun(runNamespace, name),
          deps.ownership.liveRun(runNamespace, name),
        ]);
        if (!stored) throw new NotFoundError(NOT_FOUND);
        await deps.guard.requireNamespace(request, 'report', stored.namespace);
        const run = await deps.ownership.reconcile(stored, live, 'upload', request.log);
        if (!run) {
          throw new ConflictError(
            `Run ${name} in the cluster belongs to another namespace: register it again`,
          );
        }
        const redacted = deps.redactor.stream();
        // An upload cut short fails the redaction stream, and so the write, rather than hanging it.
        pipeline(request.body as NodeJS.ReadableStream, redacted, () => undefined);
        const source = redacted;
        return deps.archive.writeStep(
          run.id,
          { position: query.position, task, step },
          source,
          deps.logCapBytes,
          deps.redactor.fingerprint,
        );
      },
    );
    done();
  });
}

/** Lines longer than this pass through `linewise` as they are, in pieces. */
const MAX_RENDERED_LINE = 1024 * 1024;

/**
 * A transform applying `render` to every line of a UTF-8 text stream (characters split
 * between chunks decoded whole). A line `render` fails on, and a line longer than
 * MAX_RENDERED_LINE, pass as they are: memory stays bounded and no text stops the stream.
 */
function linewise(render: (line: string) => string): Transform {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  /** In the middle of an overlong line, already passed on in pieces. */
  let overlong = false;
  const safely = (line: string) => {
    try {
      return render(line);
    } catch {
      return line;
    }
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      pending += decoder.write(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const out = lines.map((line, index) =>
        index === 0 && overlong ? `${line}\n` : `${safely(line)}\n`,
      );
      if (lines.length > 0) overlong = false;
      if (pending.length > MAX_RENDERED_LINE) {
        out.push(pending);
        pending = '';
        overlong = true;
      }
      if (out.length > 0) this.push(out.join(''));
      callback();
    },
    flush(callback) {
      pending += decoder.end();
      if (pending) this.push(overlong ? pending : safely(pending));
      callback();
    },
  });
}

const header = (task: string, step: string, first: boolean) =>
  `${first ? '' : '\n'}==> task ${task}, step ${step} <==\n`;

/**
 * The archived log, each step headed. With `gzip`, the gzip body itself: the stored
 * segments as they are, joined with the headings compressed here.
 */
async function* archiveSections(
  archive: LogArchive,
  run: ArchivedRun,
  step: string | undefined,
  gzip: boolean,
): AsyncGenerator<Buffer> {
  const joiner = gzip ? new GzipJoiner() : undefined;
  const text = (value: string) => (joiner ? joiner.text(value) : Buffer.from(value));
  if (joiner) yield joiner.header();
  if (run.truncated) {
    yield text('[kite] the archived log was over the size cap: its beginning was dropped\n');
  }
  let current = '';
  /** The heading of a step, before its first chunk. */
  const heading = (chunk: { task: string; step: string }) => {
    const section = `${chunk.task}/${chunk.step}`;
    if (section === current) return [];
    const first = current === '';
    current = section;
    return [text(header(chunk.task, chunk.step, first))];
  };
  if (joiner) {
    for await (const segment of archive.readSegments(run.id, step)) {
      yield* heading(segment);
      yield joiner.segment(segment.data, segment.crc32, segment.bytes);
    }
  } else {
    for await (const chunk of archive.read(run.id, step)) {
      yield* heading(chunk);
      yield chunk.data;
    }
  }
  if (joiner) yield joiner.end();
}

/**
 * The live log, step after step. Following, each running step is streamed until its
 * container ends, and new steps are picked up until the run completes. Each pod log is
 * piped into the body as it comes (no copy, no promise per piece); a pod log that fails
 * midway fails the body, and a body closed by the client closes the pod log.
 */
function liveSections(
  live: LiveCluster,
  run: LiveRun,
  matches: (step: { task: string; step: string }) => boolean,
  follow: boolean,
  /** The run's steps as the caller just read them, for the first round. */
  known?: LiveStep[],
): Readable {
  const body = new PassThrough();
  /** Writes with backpressure; fails once the client has gone. */
  const write = async (text: string) => {
    if (body.destroyed) throw new Error('the client went away');
    if (body.write(text)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        body.off('drain', done).off('close', done);
        resolve();
      };
      body.once('drain', done).once('close', done);
    });
  };
  let firstRound = known;
  const produce = async () => {
    const seen = new Set<string>();
    while (!body.destroyed) {
      let progressed = false;
      const steps = firstRound ?? (await live.steps(run));
      firstRound = undefined;
      for (const step of steps) {
        const key = `${step.task}/${step.step}`;
        if (seen.has(key) || !matches(step)) continue;
        await write(header(step.task, step.step, seen.size === 0));
        seen.add(key);
        progressed = true;
        const stream = await live.stream(run.runNamespace, step, follow && !step.terminated);
        if (!stream) {
          await write('[kite] the log of this step is no longer available\n');
          continue;
        }
        await pipelineAsync(stream, body, { end: false });
      }
      if (!follow) return;
      const current = await live.findRun(run.runNamespace, run.name);
      const done = !current || current.status !== 'Running';
      if (done && !progressed) return;
      if (!progressed) await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
    }
  };
  produce().then(
    () => body.end(),
    (error: unknown) => body.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return body;
}
