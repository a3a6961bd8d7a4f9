/**
 * The overview of the namespaces a caller may read, in one call: the dashboard's first
 * page (docs/decisions/0047-overview-in-one-answer.md). Every part is index-driven or
 * bounded, never a count of every issue:
 * - counts by namespace, state, severity and type from the counts table (migration 8);
 * - the newest active issues of each of the worst namespaces, listed by the listing
 *   index in its order, grouped by application and component;
 * - the worst active issues: a page of the list (`list`) for the worst severity;
 * - what changed since `since`: issues detected (new or reopened) and resolved since,
 *   each counted exactly up to CHANGE_BOUND and past that given as "at least".
 */
import { ISSUE_TYPES, SEVERITIES, STATES } from '../domain/issue.js';
import type { IssueState, IssueType, Severity } from '../domain/issue.js';
import type { Issue } from '../domain/issue.js';
import type { Queryable } from './database.js';
import { COUNTED, type IssueCounts } from './issue-totals.js';

/** Past this many issues, a change count says "at least". */
export const CHANGE_BOUND = 1_000;
/** The component breakdown covers this many namespaces, the worst first… */
export const COMPONENT_NAMESPACES = 50;
/** …reading at most this many of their active issues, the newest of each namespace… */
export const COMPONENT_BOUND = 2_000;
/** …but at least this many of each. */
const MIN_PER_NAMESPACE = 25;

const APPLICATION_LABEL = 'appstudio.openshift.io/application';
const COMPONENT_LABEL = 'appstudio.openshift.io/component';

export interface NamespaceCounts {
  namespace: string;
  active: number;
  resolved: number;
  /** Active issues by severity. */
  bySeverity: Record<Severity, number>;
}

export interface ComponentCounts {
  namespace: string;
  application: string | null;
  component: string | null;
  active: number;
  bySeverity: Record<Severity, number>;
}

export interface Changes {
  since: string;
  /** Issues first detected since `since`. */
  created: number;
  /** Resolved issues that came back since `since`. */
  reopened: number;
  resolved: number;
  /** False when a count reached CHANGE_BOUND: the counts are then lower bounds. */
  complete: boolean;
}

export interface OverviewCounts {
  /** Every state. */
  all: IssueCounts;
  /** Active issues only. */
  active: IssueCounts;
  /** Every namespace in scope with issues, worst active first. */
  namespaces: NamespaceCounts[];
  components: {
    /** Worst first: most critical, then major, …, then most active. */
    rows: ComponentCounts[];
    /** Active issues read; `complete` when that was every active issue in scope. */
    examined: number;
    complete: boolean;
  };
  changes: Changes;
  /** The newest active issues of the worst severity present (a page of `list`). */
  worst: { severity: Severity | null; total: number; issues: Issue[] };
}

/** A page of the newest active issues of `severity` in the overview's namespaces. */
export type WorstIssues = (severity: Severity) => Promise<Issue[]>;

interface CountRow {
  state: IssueState;
  severity: Severity;
  issue_type: IssueType;
  n: number;
}

const scoped = (namespaces: string[] | undefined, param: string) =>
  namespaces ? `namespace = ANY(${param}::text[])` : 'TRUE';

/** `namespaces`: the namespaces in scope, or undefined for every namespace. */
export async function overviewCounts(
  q: Queryable,
  namespaces: string[] | undefined,
  since: Date,
  worstIssues: WorstIssues,
): Promise<OverviewCounts> {
  // Two aggregates of the counts table, not one by all four columns: per namespace
  // without the type (a fifth of the groups), and the totals without the namespace
  // (40 groups). At 201 namespaces the four-column one took 6-15 ms, these 2-3 each.
  const params = namespaces ? [namespaces] : [];
  const which = namespaces ? 'in' : 'all';
  const [totals, perNamespace] = await Promise.all([
    q.query<CountRow>(
      `SELECT state, severity, issue_type, sum(n::int)::int AS n FROM ${COUNTED}
       WHERE ${scoped(namespaces, '$1')} GROUP BY 1, 2, 3`,
      params,
      `kite_overview_totals_${which}`,
    ),
    q.query<{ namespace: string; state: IssueState; severity: Severity; n: number }>(
      `SELECT namespace, state, severity, sum(n::int)::int AS n FROM ${COUNTED}
       WHERE ${scoped(namespaces, '$1')} GROUP BY 1, 2, 3 HAVING sum(n::int) <> 0`,
      params,
      `kite_overview_namespaces_${which}`,
    ),
  ]);
  const all = emptyCounts();
  const active = emptyCounts();
  for (const row of totals.rows) {
    add(all, row);
    if (row.state === 'ACTIVE') add(active, row);
  }
  const byNamespace = new Map<string, NamespaceCounts>();
  for (const row of perNamespace.rows) {
    let entry = byNamespace.get(row.namespace);
    if (!entry) {
      entry = { namespace: row.namespace, active: 0, resolved: 0, bySeverity: bySeverity() };
      byNamespace.set(row.namespace, entry);
    }
    if (row.state === 'RESOLVED') {
      entry.resolved += row.n;
    } else {
      entry.active += row.n;
      entry.bySeverity[row.severity] += row.n;
    }
  }
  const rows = [...byNamespace.values()].sort(
    (a, b) => worse(a, b) || a.namespace.localeCompare(b.namespace),
  );
  const worst = [...SEVERITIES].reverse().find((severity) => active.bySeverity[severity] > 0);
  const [components, changes, issues] = await Promise.all([
    componentCounts(q, rows),
    changeCounts(q, namespaces, since),
    worst ? worstIssues(worst) : [],
  ]);
  return {
    all,
    active,
    namespaces: rows,
    components,
    changes,
    worst: { severity: worst ?? null, total: worst ? active.bySeverity[worst] : 0, issues },
  };
}

/** Active issues per application and component, the newest of each namespace first. */
async function componentCounts(
  q: Queryable,
  namespaces: NamespaceCounts[],
): Promise<OverviewCounts['components']> {
  const active = namespaces.filter((n) => n.active > 0);
  const withActive = active.slice(0, COMPONENT_NAMESPACES);
  if (withActive.length === 0) return { rows: [], examined: 0, complete: true };
  const perNamespace = Math.max(MIN_PER_NAMESPACE, Math.floor(COMPONENT_BOUND / withActive.length));
  // One index-ordered read of the listing index per namespace (it includes the state,
  // severity, scope and labels, so no issue row is visited), LIMIT each.
  const result = await q.query<{
    namespace: string;
    application: string | null;
    component: string | null;
    severity: Severity;
    n: number;
  }>(
    `SELECT ns.name AS namespace, a.application, a.component, a.severity, count(*)::int AS n
     FROM unnest($1::text[]) AS ns(name)
     CROSS JOIN LATERAL (
       SELECT labels ->> '${APPLICATION_LABEL}' AS application,
              coalesce(labels ->> '${COMPONENT_LABEL}',
                       CASE WHEN scope_type = 'component' THEN scope_name END) AS component,
              severity
       FROM issues WHERE namespace = ns.name AND state = 'ACTIVE'
       ORDER BY detected_at DESC, id DESC LIMIT $2
     ) a
     GROUP BY 1, 2, 3, 4`,
    [withActive.map((n) => n.namespace), perNamespace],
    'kite_overview_components',
  );
  const groups = new Map<string, ComponentCounts>();
  let examined = 0;
  for (const row of result.rows) {
    examined += row.n;
    const key = JSON.stringify([row.namespace, row.application, row.component]);
    let entry = groups.get(key);
    if (!entry) {
      entry = {
        namespace: row.namespace,
        application: row.application,
        component: row.component,
        active: 0,
        bySeverity: bySeverity(),
      };
      groups.set(key, entry);
    }
    entry.active += row.n;
    entry.bySeverity[row.severity] += row.n;
  }
  const complete =
    active.length === withActive.length && withActive.every((n) => n.active <= perNamespace);
  const rows = [...groups.values()].sort(
    (a, b) =>
      worse(a, b) ||
      a.namespace.localeCompare(b.namespace) ||
      (a.component ?? '').localeCompare(b.component ?? ''),
  );
  return { rows, examined, complete };
}

/** Issues detected and resolved since `since`, each counted up to CHANGE_BOUND. */
async function changeCounts(
  q: Queryable,
  namespaces: string[] | undefined,
  since: Date,
): Promise<Changes> {
  const params = namespaces ? [since, namespaces] : [since];
  const name = namespaces ? 'in' : 'all';
  // `detected_at` moves to the time of a reopening, so the issues detected since are the
  // new ones (created since) and the reopened ones (created before).
  const [detected, resolved] = await Promise.all([
    q.query<{ created: number; reopened: number; n: number }>(
      `SELECT count(*) FILTER (WHERE created_at >= $1)::int AS created,
              count(*) FILTER (WHERE created_at < $1)::int AS reopened, count(*)::int AS n
       FROM (SELECT created_at FROM issues WHERE detected_at >= $1 AND ${scoped(namespaces, '$2')}
             LIMIT ${CHANGE_BOUND}) d`,
      params,
      `kite_overview_detected_${name}`,
    ),
    q.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM issues
         WHERE state = 'RESOLVED' AND resolved_at >= $1 AND ${scoped(namespaces, '$2')}
         LIMIT ${CHANGE_BOUND}) r`,
      params,
      `kite_overview_resolved_${name}`,
    ),
  ]);
  const { created = 0, reopened = 0, n = 0 } = detected.rows[0] ?? {};
  const resolvedCount = resolved.rows[0]?.n ?? 0;
  return {
    since: since.toISOString(),
    created,
    reopened,
    resolved: resolvedCount,
    complete: n < CHANGE_BOUND && resolvedCount < CHANGE_BOUND,
  };
}

function bySeverity(): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
}

function emptyCounts(): IssueCounts {
  return {
    total: 0,
    bySeverity: bySeverity(),
    byType: Object.fromEntries(ISSUE_TYPES.map((t) => [t, 0])) as Record<IssueType, number>,
    byState: Object.fromEntries(STATES.map((s) => [s, 0])) as Record<IssueState, number>,
  };
}

function add(counts: IssueCounts, row: CountRow) {
  counts.total += row.n;
  counts.bySeverity[row.severity] += row.n;
  counts.byType[row.issue_type] += row.n;
  counts.byState[row.state] += row.n;
}

/** Negative when `a` is worse: more critical, then major, minor, info, then more active. */
function worse(
  a: { active: number; bySeverity: Record<Severity, number> },
  b: { active: number; bySeverity: Record<Severity, number> },
): number {
  for (const severity of [...SEVERITIES].reverse()) {
    const d = b.bySeverity[severity] - a.bySeverity[severity];
    if (d !== 0) return d;
  }
  return b.active - a.active;
}
