/**
 * `summarize`: what is broken in a namespace, an application or all the caller's
 * namespaces, in one answer: active counts (worst severities first), the worst active
 * issues, and what changed in the last N hours (issues new, reopened and resolved).
 */
import { Type } from 'typebox';
import type { KiteClient } from '../client/client.js';
import type { Issue, IssueListQuery } from '../client/types.js';
import { SEVERITIES } from '../domain/issue.js';
import { brief } from './issue-brief.js';
import { tool, type Tool } from './tool.js';

export const APPLICATION_LABEL = 'appstudio.openshift.io/application';
const HOUR_MS = 60 * 60 * 1000;
/** The issues of an application read to count its changes (an application has few). */
const APPLICATION_READ = 100;

export const SummarizeInput = Type.Object(
  {
    namespace: Type.Optional(
      Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' }),
    ),
    application: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 63,
        pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$',
        description:
          'a Konflux application (its issues carry the label appstudio.openshift.io/application)',
      }),
    ),
    hours: Type.Integer({
      minimum: 1,
      maximum: 720,
      default: 24,
      description: 'how far back "changes" looks',
    }),
    worst: Type.Integer({
      minimum: 1,
      maximum: 50,
      default: 10,
      description: 'how many of the worst active issues to list',
    }),
  },
  { additionalProperties: false },
);

/** Counts with the zeros left out, worst severity first. */
const nonZero = (counts: Record<string, number>, order?: readonly string[]) =>
  Object.fromEntries(
    (order ? [...order].reverse() : Object.keys(counts))
      .filter((key) => (counts[key] ?? 0) > 0)
      .map((key) => [key, counts[key]]),
  );

export async function summarize(
  client: KiteClient,
  args: { namespace?: string; application?: string; hours: number; worst: number },
) {
  const filter: IssueListQuery = {
    ...(args.namespace ? { namespace: [args.namespace] } : {}),
    ...(args.application ? { labelSelector: `${APPLICATION_LABEL}=${args.application}` } : {}),
  };
  const since = new Date(Date.now() - args.hours * HOUR_MS).toISOString();
  const [active, worst, changes] = await Promise.all([
    client.countIssues({ ...filter, state: 'ACTIVE' }),
    client.listIssues({ ...filter, state: 'ACTIVE', sort: '-severity', limit: args.worst }),
    args.application
      ? applicationChanges(client, filter, since)
      : namespaceChanges(client, args.namespace, since),
  ]);
  const scope = args.application
    ? `application ${args.application}${args.namespace ? ` in namespace ${args.namespace}` : ''}`
    : args.namespace
      ? `namespace ${args.namespace}`
      : 'all your namespaces';
  return {
    scope,
    active: {
      total: active.total,
      ...(active.totalIsEstimate ? { totalIsEstimate: true } : {}),
      bySeverity: nonZero(active.bySeverity, SEVERITIES),
      byType: nonZero(active.byType),
      ...(active.silenced ? { silenced: active.silenced } : {}),
    },
    worst: worst.data.map(brief),
    changes: { hours: args.hours, ...changes.counts },
    ...changes.breakdown,
  };
}

/** The overview's counts of changes since `since`, and its worst namespaces and components. */
async function namespaceChanges(client: KiteClient, namespace: string | undefined, since: string) {
  const overview = await client.overview({
    ...(namespace ? { namespace: [namespace] } : {}),
    since,
  });
  const { created, reopened, resolved, complete } = overview.changes;
  const severities = (row: { bySeverity: Record<string, number> }) =>
    nonZero(row.bySeverity, SEVERITIES);
  return {
    counts: { since, new: created, reopened, resolved, ...(complete ? {} : { lowerBounds: true }) },
    breakdown: {
      ...(namespace
        ? {}
        : {
            namespaces: overview.namespaces.rows
              .filter((row) => row.active > 0)
              .slice(0, 10)
              .map((row) => ({ namespace: row.namespace, active: row.active, ...severities(row) })),
          }),
      components: overview.components.rows.slice(0, 10).map((row) => ({
        ...(namespace ? {} : { namespace: row.namespace }),
        ...(row.application ? { application: row.application } : {}),
        ...(row.component ? { component: row.component } : {}),
        active: row.active,
        ...severities(row),
      })),
    },
  };
}

/** An application's changes, counted from its issues (newest first, up to APPLICATION_READ). */
async function applicationChanges(client: KiteClient, filter: IssueListQuery, since: string) {
  const [recent, resolved] = await Promise.all([
    client.listIssues({ ...filter, sort: '-detectedAt', limit: APPLICATION_READ }),
    client.listIssues({
      ...filter,
      state: 'RESOLVED',
      sort: '-detectedAt',
      limit: APPLICATION_READ,
    }),
  ]);
  const start = Date.parse(since);
  const after = (at: string | null) => at !== null && Date.parse(at) >= start;
  const detected = recent.data.filter((issue: Issue) => after(issue.detectedAt));
  const complete = recent.total <= APPLICATION_READ && resolved.total <= APPLICATION_READ;
  return {
    counts: {
      since,
      new: detected.filter((issue) => after(issue.createdAt)).length,
      reopened: detected.filter((issue) => !after(issue.createdAt)).length,
      resolved: resolved.data.filter((issue) => after(issue.resolvedAt)).length,
      ...(complete ? {} : { lowerBounds: true }),
    },
    breakdown: {},
  };
}

export const summarizeTool: Tool = tool({
  name: 'summarize',
  description:
    'What is broken now and what changed lately, for one namespace, one application, or (neither given) all the namespaces you may read: active issue counts by severity and type, the worst active issues, and how many issues were new, reopened and resolved in the last `hours`.',
  input: SummarizeInput,
  annotations: { title: 'Summarize issues', readOnlyHint: true, openWorldHint: false },
  async run(args, { client }) {
    return {
      value: await summarize(client, args),
      more: () =>
        'Lists were cut to fit the output budget: call summarize with a smaller `worst`, or list_issues.',
    };
  },
});
