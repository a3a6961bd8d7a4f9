/**
 * Counts and list totals. Filters on namespace, state, severity and type are answered
 * from the counts table of migration 8 (a sum over at most 40 rows per namespace),
 * never by counting issues. Other filters are counted on the rows, exactly up to
 * TOTAL_BOUND matches (SAMPLE_BOUND issues tested for conditions tested row by row),
 * and past it the total says it is an estimate (docs/decisions/0030-counts-table.md,
 * docs/decisions/0036-deep-offsets-and-row-tests.md).
 */
import { createHash } from 'node:crypto';
import { ISSUE_TYPES, type IssueState, type IssueType, type Severity } from '../domain/issue.js';
import type { Queryable } from './database.js';
import { buildWhere, coveredByCounts, type IssueFilter, type Where } from './issue-filter.js';

/** Past this many matches, a total of indexed conditions is no longer counted exactly. */
export const TOTAL_BOUND = 10_000;

/**
 * How many issues that the indexed conditions leave are tested against the conditions
 * tested row by row (`!=`, `notin`, `!k`, a short search) for a total or counts; past
 * that the total is estimated from the share that matched. Smaller than TOTAL_BOUND:
 * each of these issues costs a test of every such condition (where the 22-term
 * selector of the 1.3M benchmark spent nearly all its time), and 2,000 already give a
 * share within a few percent.
 */
export const SAMPLE_BOUND = 2_000;

export interface IssueCounts {
  total: number;
  /** Present (true) when the counts were not counted exactly (docs/api.md, "Totals"). */
  totalIsEstimate?: true;
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

export async function countIssues(
  q: Queryable,
  filter: IssueFilter,
  where: Where,
): Promise<IssueCounts> {
  // Either way one hash aggregate over at most 4 × 6 × 2 groups, folded into three views.
  if (coveredByCounts(filter)) {
    const sql = `SELECT severity, issue_type, state, sum(n)::int AS n FROM ${COUNTED} ${where.sql}
       GROUP BY severity, issue_type, state`;
    const result = await q.query<CountRow>(sql, where.params, statementName(where, sql));
    return fold(result.rows);
  }
  // Other filters are counted on at most `bound` issues that the indexed part leaves,
  // as list totals are (totalOf below): exact when fewer remain, else scaled to the
  // indexed part's count when the counts table knows it, else what the sample found.
  const bound = where.perRowSql === 'TRUE' ? TOTAL_BOUND : SAMPLE_BOUND;
  const sql = `SELECT severity, issue_type, state, count(*) FILTER (WHERE hit)::int AS n,
      count(*)::int AS examined
    FROM (SELECT severity, issue_type, state, ${where.perRowSql} AS hit
          FROM issues ${where.indexedSql} LIMIT ${bound}) s
    GROUP BY severity, issue_type, state`;
  const result = await q.query<CountRow & { examined: number }>(
    sql,
    where.params,
    statementName(where, sql),
  );
  const examined = result.rows.reduce((sum, row) => sum + row.examined, 0);
  if (examined < bound) return fold(result.rows);
  const indexed = where.perRowSql === 'TRUE' ? 0 : await indexedCount(q, filter, where);
  const scale = indexed > examined ? indexed / examined : 1;
  const rows = result.rows.map((row) => ({ ...row, n: Math.round(row.n * scale) }));
  return { ...fold(rows), totalIsEstimate: true };
}

function fold(rows: CountRow[]): IssueCounts {
  const counts: IssueCounts = {
    total: 0,
    bySeverity: { info: 0, minor: 0, major: 0, critical: 0 },
    byType: Object.fromEntries(ISSUE_TYPES.map((t) => [t, 0])) as Record<IssueType, number>,
    byState: { ACTIVE: 0, RESOLVED: 0 },
  };
  for (const row of rows) {
    counts.total += row.n;
    counts.bySeverity[row.severity] += row.n;
    counts.byType[row.issue_type] += row.n;
    counts.byState[row.state] += row.n;
  }
  return counts;
}

/** The count of the indexed part of `where` from the counts table, or 0 when it cannot tell. */
async function indexedCount(q: Queryable, filter: IssueFilter, where: Where): Promise<number> {
  if (!where.indexedCounted) return 0;
  const { namespaces, state, severity, issueType } = filter;
  return countedTotal(q, buildWhere({ namespaces, state, severity, issueType }));
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
  // most SAMPLE_BOUND rows of the indexed part are tested; past that, the share that
  // matched is scaled to the indexed part's count when the counts table knows it.
  const sql = `SELECT count(*) FILTER (WHERE hit)::int AS matched, count(*)::int AS examined
    FROM (SELECT ${where.perRowSql} AS hit FROM issues ${where.indexedSql} LIMIT ${SAMPLE_BOUND}) s`;
  const result = await q.query<{ matched: number; examined: number }>(
    sql,
    where.params,
    statementName(where, sql),
  );
  const { matched = 0, examined = 0 } = result.rows[0] ?? {};
  if (examined < SAMPLE_BOUND) return { total: matched, estimate: false };
  if (!where.indexedCounted) return { total: matched, estimate: true };
  const indexed = await indexedCount(q, filter, where);
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
 * combinations (issue-filter.ts, `bounded`); others are planned per call.
 */
export function statementName(where: Where, sql: string): string | undefined {
  if (!where.bounded) return undefined;
  return `kite_q_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
}
