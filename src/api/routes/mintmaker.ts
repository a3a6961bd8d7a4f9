/**
 * MintMaker run logs for their owners only: schemas and handlers over the log service
 * (src/logs/run-logs.ts). MintMaker runs Renovate in its own namespace, so plain RBAC
 * could only show those logs to everyone or to no one; here each request is checked,
 * through the guard, against the namespace of the run's *component*. Callers who may
 * read the MintMaker namespace itself (the MintMaker team) may read every run; anyone
 * else gets the same 404 as for a run that does not exist.
 *
 * - `GET /api/v1/mintmaker/runs?namespace=&component=&status=`: runs, newest first.
 * - `GET /api/v1/mintmaker/runs/:run/logs?step=&format=text`: the log as text, step by
 *   step, each section headed by its task and step; gzip when the client accepts it.
 * - `POST /api/v1/mintmaker/runs` and `PUT /api/v1/mintmaker/runs/:run/steps/:task/:step`:
 *   the operator archives a completed run (report permission on the component's namespace;
 *   whose the run is comes from the cluster: src/logs/run-ownership.ts).
 */
import type {
  FastifyPluginAsyncTypebox,
  TypeBoxTypeProvider,
} from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MINTMAKER_RUN_STATUSES, runOfRegistration } from '../../domain/mintmaker-run.js';
import { StringEnum } from '../../domain/string-enum.js';
import type { RunLogs } from '../../logs/run-logs.js';
import { acceptsGzip } from '../content-coding.js';
import type { Guard } from '../guard.js';
import { ErrorSchema } from '../schemas.js';

export interface MintmakerRouteOptions {
  runs: RunLogs;
  guard: Guard;
  /** Where MintMaker runs its PipelineRuns; its readers may read every run. */
  mintmakerNamespace: string;
}

const NOT_FOUND = 'MintMaker run not found';
const Name = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
});
/** A plain `enum`, so a bad value answers "status must be one of: …" (one field-named 400). */
const Status = StringEnum(MINTMAKER_RUN_STATUSES);
const Time = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) =>
  Type.Union([schema, Type.Null()]);

/** A run as listed (src/domain/mintmaker-run.ts `MintmakerRunView`). */
export const RunSchema = Type.Object({
  name: Type.String(),
  runNamespace: Type.String(),
  namespace: Type.String(),
  component: Type.String(),
  gitHost: Nullable(Type.String()),
  repository: Nullable(Type.String()),
  branch: Nullable(Type.String()),
  status: Status,
  startTime: Nullable(Type.String()),
  completionTime: Nullable(Type.String()),
  archived: Type.Boolean(),
  logBytes: Type.Number(),
  truncated: Type.Boolean(),
});

/** A registration (src/domain/mintmaker-run.ts `RunRegistration`). */
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

export const RunListQuerySchema = Type.Object({
  namespace: Type.Optional(Name),
  component: Type.Optional(Type.String({ minLength: 1 })),
  status: Type.Optional(Status),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  // Bounded like every paginated route.
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, default: 0 })),
});

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 503: ErrorSchema };
const tags = ['mintmaker'];

export const mintmakerRoutes: FastifyPluginAsyncTypebox<MintmakerRouteOptions> = async (
  app,
  { runs, guard, mintmakerNamespace },
) => {
  app.get(
    '/api/v1/mintmaker/runs',
    {
      schema: {
        tags,
        summary: 'MintMaker runs of a namespace, newest first',
        querystring: RunListQuerySchema,
        response: {
          200: Type.Object({
            data: Type.Array(RunSchema),
            total: Type.Integer(),
            limit: Type.Integer(),
            offset: Type.Integer(),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { namespace, component, status, limit = 50, offset = 0 } = request.query;
      // Every namespace at once is for the MintMaker team only.
      await guard.requireNamespace(request, 'read', namespace ?? mintmakerNamespace);
      const page = { limit, offset };
      const found = await runs.listRuns({ namespace, component, status }, page);
      return { ...found, ...page };
    },
  );

  app.get(
    '/api/v1/mintmaker/runs/:run/logs',
    {
      schema: {
        tags,
        summary: "A MintMaker run's logs as text, every step in order",
        params: Type.Object({ run: Name }),
        querystring: Type.Object({
          step: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
          format: Type.Optional(StringEnum(['raw', 'text'])),
          runNamespace: Type.Optional(Name),
          follow: Type.Optional(Type.Boolean()),
        }),
        response: { ...errors, 404: ErrorSchema },
      },
    },
    async (request, reply) => {
      const { step, format, follow, runNamespace = mintmakerNamespace } = request.query;
      // Who asks is settled before any lookup, so that an anonymous caller cannot tell
      // a run that exists (401) from one that does not (404).
      await guard.caller(request);
      const found = await runs.readableRun(
        { runNamespace, name: request.params.run },
        (owner) =>
          guard.requireReadable(request, owner, {
            notFound: NOT_FOUND,
            overseer: mintmakerNamespace,
          }),
        request.log,
      );
      const gzip = acceptsGzip(request.headers['accept-encoding']);
      const log = await runs.openLog(found, { step, format, follow, gzip }, request.log);
      void reply.header('content-type', 'text/plain; charset=utf-8');
      void reply.header('vary', 'accept-encoding');
      void reply.header('x-kite-log-source', log.source);
      if (gzip) void reply.header('content-encoding', 'gzip');
      // A stream goes out as it is; the response schemas type the JSON answers only.
      return reply.send(log.body as never);
    },
  );

  app.post(
    '/api/v1/mintmaker/runs',
    {
      schema: {
        tags,
        summary: 'Archive a MintMaker run (the bridge operator)',
        body: RunInputSchema,
        response: { ...errors, 201: RunSchema, 409: ErrorSchema },
      },
    },
    async (request, reply) => {
      await guard.requireNamespace(request, 'report', request.body.namespace);
      runs.requireUploader(await guard.caller(request));
      const run = runOfRegistration(request.body, mintmakerNamespace);
      return reply.code(201).send(await runs.registerRun(run, request.log));
    },
  );

  // Log uploads are streamed through redaction into the archive, never buffered whole.
  await app.register((scope, _options, done) => {
    // Only text, as a stream: not JSON or anything else the rest of the API parses.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      ['text/plain', 'application/octet-stream'],
      (_request, payload, parsed) => parsed(null, payload),
    );
    scope.withTypeProvider<TypeBoxTypeProvider>().put(
      '/api/v1/mintmaker/runs/:run/steps/:task/:step',
      {
        config: { accepts: 'text/plain or application/octet-stream' },
        schema: {
          tags,
          summary: "Archive one step's log of a run (text/plain, streamed)",
          params: Type.Object({ run: Name, task: Name, step: Name }),
          querystring: Type.Object({
            position: Type.Integer({ minimum: 0, maximum: 2000 }),
            runNamespace: Type.Optional(Name),
          }),
          response: {
            ...errors,
            200: Type.Object({ bytes: Type.Integer(), truncated: Type.Boolean() }),
            404: ErrorSchema,
            409: ErrorSchema,
            415: ErrorSchema,
          },
        },
      },
      async (request) => {
        const { run: name, task, step } = request.params;
        const { position, runNamespace = mintmakerNamespace } = request.query;
        runs.requireUploader(await guard.caller(request));
        return runs.uploadStep(
          { runNamespace, name },
          { position, task, step },
          // The content-type parser above hands the request stream on as the body.
          request.body as NodeJS.ReadableStream,
          (owner) => guard.requireNamespace(request, 'report', owner),
          request.log,
        );
      },
    );
    done();
  });
};
