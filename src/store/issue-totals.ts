/**
 * Counts and list totals. Filters on namespace, state, severity and type are answered
 * from the counts table of migration 8 (a sum over at most 40 rows per namespace),
 * never by counting issues. Other filters are counted on the rows, exactly up to
 * TOTAL_BOUND matches, and past it the total says it is an estimate
 * (docs/decisions/0030-counts-table.md).
 */
import { createHash } from 'node:crypto';
import type { IssueState, IssueType, Severity } from '../domain/issue.js';
import type { Queryable } from './database.js';
import { buildWhere, coveredByCounts, type IssueFilter, type Where } from './issue-filter.js';

/** Past this many matches (or rows examined), a total is no longer counted exactly. */
export const TOTAL_BOUND = 10_000;

export interface IssueCounts {
  total: number;
  bySeverity: Record<Severity, number>;
  byType: Record<IssueType, number>;
  byState: Record<IssueState, number>;
}

/** A list total; `estimate` when it was not counted exactly. */
export interface Total {
  total: number;
  estimate: boolean;
}

interface CountRow {
  severity: Severity;
  issue_type: IssueType;
  state: IssueState;
  n: number;
}

/** The counts table as readers see it: folded counts plus the deltas not folded yet. */
export const COUNTED = `(SELECT namespace, state, severity, issue_type, n FROM issue_counts
  UNION ALL SELECT namespace, state, severity, issue_type, n FROM issue_count_deltas) counted`;

export async function countIssues(q: Queryable, filter: IssueFilter, where: Where) {
  // Either way one hash aggregate over at most 4 × 5 × 2 groups, folded into three views.
  const [value, from] = coveredByCounts(filter)
    ? ['sum(n)::int', COUNTED]
    : ['count(*)::int', 'issues'];
  const sql = `SELECT severity, issue_type, state, ${value} AS n FROM ${from} ${where.sql}
     GROUP BY severity, issue_type, state`;
  const result = await q.query<CountRow>(sql, where.params, statementName(where, sql));
  const counts: IssueCounts = {
    total: 0,
    bySeverity: { info: 0, minor: 0, major: 0, critical: 0 },
    byType: { build: 0, test: 0, release: 0, dependency: 0, pipeline: 0 },
    byState: { ACTIVE: 0, RESOLVED: 0 },
  };
  for (const row of result.rows) {
    counts.total += row.n;
    counts.bySeverity[row.severity] += row.n;
    counts.byType[row.issue_type] += row.n;
    counts.byState[row.state] += row.n;
  }
  return counts;
}

export async function totalOf(q: Queryable, filter: IssueFilter, where: Where): Promise<Total> {
  if (coveredByCounts(filter)) {
    return { total: await countedTotal(q, where), estimate: false };
  }
  if (where.perRowSql === 'TRUE') {
    // Indexed conditions: count the matches, stopping one past the bound.
    const sql = `SELECT count(*)::int AS n FROM (SELECT 1 FROM issues ${where.sql} LIMIT ${TOTAL_BOUND + 1}) m`;
    const result = await q.query<{ n: number }>(sql, where.params, statementName(where, sql));
    const n = result.rows[0]?.n ?? 0;
    return n > TOTAL_BOUND ? { total: TOTAL_BOUND, estimate: true } : { total: n, estimate: false };
  }
  // Conditions no index answers (`!=`, `notin`, `!k`, a short search) may match few of
  // many rows, so stopping at the bound's matches could still read them all. Instead at
  // most TOTAL_BOUND rows of the indexed part are tested; past that, the share that
  // matched is scaled to the indexed part's count when the counts table knows it.
  const sql = `SELECT count(*) FILTER (WHERE hit)::int AS matched, count(*)::int AS examined
    FROM (SELECT ${where.perRowSql} AS hit FROM issues ${where.indexedSql} LIMIT ${TOTAL_BOUND}) s`;
  const result = await q.query<{ matched: number; examined: number }>(
    sql,
    where.params,
    statementName(where, sql),
  );
  const { matched = 0, examined = 0 } = result.rows[0] ?? {};
  if (examined < TOTAL_BOUND) return { total: matched, estimate: false };
  if (!where.indexedCounted) return { total: matched, estimate: true };
  const { namespaces, state, severity, issueType } = filter;
  const indexed = await countedTotal(q, buildWhere({ namespaces, state, severity, issueType }));
  if (indexed <= examined) return { total: matched, estimate: false };
  return { total: Math.round((matched / examined) * indexed), estimate: true };
}

async function countedTotal(q: Queryable, where: Where): Promise<number> {
  const sql = `SELECT coalesce(sum(n), 0)::int AS n FROM ${COUNTED} ${where.sql}`;
  const result = await q.query<{ n: number }>(sql, where.params, statementName(where, sql));
  return result.rows[0]?.n ?? 0;
}

/**
 * Filter queries are prepared when their text comes from the bounded set of filter
 * combinations; label selectors can be any length, so those are planned per call.
 */
export function statementName(where: Where, sql: string): string | undefined {
  if (!where.bounded) return undefined;
  return `kite_q_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
}
