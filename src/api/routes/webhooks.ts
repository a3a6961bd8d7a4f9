/**
 * `POST /api/v1/webhooks/<name>`: one route per declarative webhook, each validated by
 * the schema derived from its definition. Reports upsert one issue; success webhooks
 * resolve the active issues of a scope. A MintMaker run's completion also clears the
 * pipeline's MintMaker issues that run did not report (src/domain/mintmaker-clean-run.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { cleanRunOf, type CleanRun } from '../../domain/mintmaker-clean-run.js';
import { freeTextFields, withoutTerminalEscapes } from '../../domain/terminal-escapes.js';
import { runWebhook, type Settings } from '../../domain/webhook-engine.js';
import type { IssueStore } from '../../store/issue-store.js';
import type { IssueReport } from '../../domain/issue.js';
import type { RegisteredWebhook } from '../../webhooks/webhook-registry.js';
import type { Guard } from '../guard.js';
import type { ApiMetrics } from '../metrics.js';
import { ErrorSchema, IssueSchema } from '../schemas.js';
import { assertSameNamespace } from './issues.js';

export const ReportAnswer = Type.Object({ status: Type.Literal('success'), issue: IssueSchema });
export const ResolveAnswer = Type.Object({
  status: Type.Literal('success'),
  message: Type.String(),
});
export const SkipAnswer = Type.Object({ info: Type.String() });
const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 503: ErrorSchema };

export interface WebhookRouteOptions {
  store: IssueStore;
  /** Adds links a report cannot carry itself (e.g. a MintMaker run's logs); may be absent. */
  enrich?: (report: IssueReport) => Promise<IssueReport>;
  /** Resolves the MintMaker issues a completed run did not report; may be absent. */
  clearRun?: (run: CleanRun) => Promise<number>;
  guard: Guard;
  webhooks: RegisteredWebhook[];
  settings: Settings;
  metrics: ApiMetrics;
}

export const webhookRoutes: FastifyPluginAsyncTypebox<WebhookRouteOptions> = async (app, deps) => {
  for (const { definition, bodySchema } of deps.webhooks) {
    const name = definition.name;
    const textFields = freeTextFields(definition);
    const count = (outcome: string) => deps.metrics.webhookOutcomes.inc({ webhook: name, outcome });
    const response = definition.report
      ? { 201: ReportAnswer, ...(definition.skipWhenEmpty ? { 200: SkipAnswer } : {}) }
      : { 200: ResolveAnswer };

    app.post(
      `/api/v1/webhooks/${name}`,
      {
        schema: {
          tags: ['webhooks'],
          summary: definition.description ?? name,
          querystring: Type.Object({ namespace: Type.Optional(Type.String()) }),
          body: bodySchema,
          response: { ...response, ...errors },
        },
        // Count rejected payloads too: they are what a misbehaving sender looks like.
        attachValidation: true,
        preValidation: dropTerminalEscapes(textFields),
      },
      async (request, reply) => {
        if (request.validationError) {
          count('rejected');
          throw request.validationError;
        }
        const payload = request.body;
        try {
          assertSameNamespace(request.query.namespace, payload.namespace);
          // A report's cluster is the one that reviewed the reporter's token: the operator
          // of one cluster cannot write another's issues (docs/multi-cluster.md).
          const place = await deps.guard.place(request, payload.namespace);
          await deps.guard.requireNamespace(request, 'report', place);
          const caller = await deps.guard.caller(request);
          // Decided (and its input checked) before anything is written.
          const cleanRun = deps.clearRun ? cleanRunOf(name, payload, caller.run) : undefined;
          const clear = async () => {
            if (!cleanRun || !deps.clearRun) return;
            const cleared = await deps.clearRun(cleanRun);
            if (cleared > 0) {
              request.log.info(
                { cleared, run: cleanRun.runId, webhook: name },
                'run cleared issues',
              );
            }
          };
          const action = runWebhook(definition, payload, deps.settings, place);
          switch (action.kind) {
            case 'skip':
              count('skipped');
              return reply.code(200).send({ info: action.info });
            case 'resolve': {
              const resolved = await deps.store.resolveScope(
                action.target,
                action.issueType,
                action.resolution,
              );
              count('resolved');
              await clear();
              return reply.code(200).send({ status: 'success', message: action.message(resolved) });
            }
            case 'report': {
              const report = deps.enrich ? await deps.enrich(action.report) : action.report;
              const { issue, outcome } = await deps.store.report(report);
              count(outcome);
              await clear();
              request.log.info(
                { issueId: issue.id, outcome, webhook: name },
                'webhook report stored',
              );
              const [shown = issue] = await deps.guard.viewIssues(request, [issue]);
              return reply.code(201).send({ status: 'success', issue: shown });
            }
          }
        } catch (error) {
          count(error instanceof Error && error.name === 'InputError' ? 'rejected' : 'failed');
          throw error;
        }
      },
    );
  }
};

/**
 * Tool output's colour codes in free text are dropped, not refused (a 400 loses the
 * report). This runs before validation, when the body is still whatever was sent.
 */
function dropTerminalEscapes(fields: readonly string[]) {
  return (request: FastifyRequest, _reply: unknown, done: () => void) => {
    request.body = withoutTerminalEscapes(request.body, fields);
    done();
  };
}
