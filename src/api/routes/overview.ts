/**
 * `GET /api/v1/overview`: what is broken now across the namespaces the caller may read,
 * in one answer (the dashboard's first page; docs/decisions/0047-overview-in-one-answer.md):
 * counts by state, severity and type; per namespace; per application and component; the
 * worst active issues; what changed in the last 24 hours (or since `since`).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { InputError } from '../../domain/errors.js';
import { SEVERITIES } from '../../domain/issue.js';
import { placeOf } from '../../domain/place.js';
import type { IssueStore } from '../../store/issue-store.js';
import type { Guard } from '../guard.js';
import {
  CountsSchema,
  ErrorSchema,
  IssueFilterQuery,
  IssueSchema,
  SeveritySchema,
} from '../schemas.js';

/** How many of the worst active issues the overview carries. */
export const WORST_ISSUES = 10;
/** How many namespaces and components the overview lists (worst first). */
export const OVERVIEW_ROWS = 100;
const DAY_MS = 24 * 60 * 60 * 1000;
/** How far back `since` may reach (the events behind the counts are kept about this long). */
export const MAX_SINCE_DAYS = 30;

/** The start of the changes: `since` when given (not in the future, not too old), else a day ago. */
function sinceOf(given: string | undefined): Date {
  const now = Date.now();
  if (given === undefined) return new Date(now - DAY_MS);
  const at = Date.parse(given);
  if (at > now) throw new InputError('since must not be in the future', { field: 'since' });
  if (at < now - MAX_SINCE_DAYS * DAY_MS) {
    throw new InputError(`since must be at most ${MAX_SINCE_DAYS} days ago`, { field: 'since' });
  }
  return new Date(at);
}

const severityCounts = Type.Object(
  Object.fromEntries(SEVERITIES.map((severity) => [severity, Type.Integer()])),
);

export const OverviewSchema = Type.Object({
  /** True when the caller may read every namespace (then `namespaces` lists those with issues). */
  all: Type.Boolean(),
  counts: CountsSchema,
  active: CountsSchema,
  namespaces: Type.Object({
    total: Type.Integer({ description: 'namespaces in scope with issues' }),
    rows: Type.Array(
      Type.Object({
        namespace: Type.String(),
        cluster: Type.String(),
        active: Type.Integer(),
        resolved: Type.Integer(),
        bySeverity: severityCounts,
      }),
      { description: `worst first, at most ${OVERVIEW_ROWS}` },
    ),
  }),
  components: Type.Object({
    total: Type.Integer({ description: 'application/component groups found' }),
    examined: Type.Integer({ description: 'active issues read for this breakdown' }),
    complete: Type.Boolean({
      description: 'false when only the newest active issues of some namespaces were read',
    }),
    rows: Type.Array(
      Type.Object({
        namespace: Type.String(),
        cluster: Type.String(),
        application: Type.Union([Type.String(), Type.Null()]),
        component: Type.Union([Type.String(), Type.Null()]),
        active: Type.Integer(),
        bySeverity: severityCounts,
      }),
      { description: `worst first, at most ${OVERVIEW_ROWS}` },
    ),
  }),
  worst: Type.Object({
    severity: Type.Union([SeveritySchema, Type.Null()]),
    total: Type.Integer(),
    issues: Type.Array(IssueSchema),
  }),
  changes: Type.Object({
    since: Type.String({ format: 'date-time' }),
    created: Type.Integer(),
    reopened: Type.Integer(),
    resolved: Type.Integer(),
    complete: Type.Boolean({ description: 'false when the counts are lower bounds' }),
  }),
});

export interface OverviewRouteOptions {
  store: IssueStore;
  guard: Guard;
}

export const overviewRoutes: FastifyPluginAsyncTypebox<OverviewRouteOptions> = async (
  app,
  { store, guard },
) => {
  app.get(
    '/api/v1/overview',
    {
      schema: {
        tags: ['issues'],
        summary:
          'Counts, the worst active issues and the last 24 hours (or since `since`), in one call',
        querystring: Type.Object({
          namespace: IssueFilterQuery.namespace,
          cluster: IssueFilterQuery.cluster,
          since: Type.Optional(
            Type.String({
              format: 'date-time',
              description: `RFC 3339, at most ${MAX_SINCE_DAYS} days ago: the start of \`changes\` (default: 24 hours ago)`,
            }),
          ),
        }),
        response: {
          200: OverviewSchema,
          400: ErrorSchema,
          401: ErrorSchema,
          403: ErrorSchema,
          503: ErrorSchema,
        },
      },
    },
    async (request) => {
      const namespaces = await guard.readScope(
        request,
        request.query.namespace,
        request.query.cluster,
      );
      const since = sinceOf(request.query.since);
      const reads = (await guard.mayReadReplica(request)) ? store.replica : store;
      const counts = await reads.overview(namespaces, since, WORST_ISSUES);
      // Rows name their place as issues do: the namespace and its cluster.
      const placed = <T extends { namespace: string }>(row: T) => ({
        ...row,
        ...placeOf(row.namespace, guard.clusters.local),
      });
      return {
        all: namespaces === undefined,
        counts: counts.all,
        active: counts.active,
        namespaces: {
          total: counts.namespaces.length,
          rows: counts.namespaces.slice(0, OVERVIEW_ROWS).map(placed),
        },
        components: {
          total: counts.components.rows.length,
          examined: counts.components.examined,
          complete: counts.components.complete,
          rows: counts.components.rows.slice(0, OVERVIEW_ROWS).map(placed),
        },
        worst: {
          ...counts.worst,
          issues: await guard.viewIssues(request, counts.worst.issues),
        },
        changes: counts.changes,
      };
    },
  );
};
