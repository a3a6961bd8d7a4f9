/**
 * Pages of issues in each order of `GET /api/v1/issues` (docs/decisions/0049-issue-list-sorts.md).
 * By detection time, newest or oldest first: one statement along the listing index
 * `(namespace, detected_at DESC, id DESC)` or `issues_detected`, forwards or backwards.
 * Worst severity first: up to four such pages, one per severity in turn (the severity
 * one more condition of the same statement), read only while the page is not full, so
 * every read is index-ordered and stops at the page's size.
 */
import type { Issue, Severity } from '../domain/issue.js';
import { DEFAULT_SORT, WORST_FIRST, type IssueSort } from '../domain/issue-sort.js';
import type { PageKey } from '../domain/page-cursor.js';
import type { Queryable } from './database.js';
import {
  buildWhere,
  coveredByCounts,
  planWhere,
  type IssueFilter,
  type Where,
} from './issue-filter.js';
import type { Page } from './issue-reads.js';
import { issueColumns, toIssue, type IssueRow } from './issue-rows.js';
import { COUNTED, statementName, totalOf, type Total } from './issue-totals.js';
import { searchWords } from './search-words.js';

export interface ListRequest {
  limit: number;
  offset: number;
  /** The key of the previous page's last issue (keyset paging); absent: from the start. */
  after?: PageKey;
  sort?: IssueSort;
}

export type IssueListPage = Page<Issue> & { next: PageKey | null };

type Direction = 'newest' | 'oldest';

export async function listIssues(
  db: Queryable,
  filter: IssueFilter,
  { after, sort = DEFAULT_SORT, ...page }: ListRequest,
): Promise<IssueListPage> {
  if (sort === '-severity') return listBySeverity(db, filter, page, after);
  const direction: Direction = sort === 'detectedAt' ? 'oldest' : 'newest';
  const where = await planWhere(db, filter);
  // The total is never a count of every match: from the counts table, or bounded
  // (issue-totals.ts). A counts-table total rides in the page's own statement (one
  // round trip, not two); other totals, and the total of an empty page, are a
  // separate statement.
  const countsTotal = `, (SELECT coalesce(sum(n), 0)::int FROM ${COUNTED} ${where.sql}) AS total`;
  if (coveredByCounts(filter)) {
    const rows = await readPage<IssueRow & { total: number }>(db, where, direction, {
      rows: page.limit + 1,
      offset: page.offset,
      after,
      total: countsTotal,
    });
    const total = rows[0]?.total;
    const counted =
      total !== undefined ? { total, estimate: false } : await totalOf(db, filter, where);
    return pageOf(rows, counted, page, false);
  }
  const [rows, counted] = await Promise.all([
    readPage(db, where, direction, { rows: page.limit + 1, offset: page.offset, after }),
    totalOf(db, filter, where),
  ]);
  return pageOf(rows, counted, page, false);
}

/**
 * `rows` issues in detection order after `after`, skipping `offset`, with their
 * relations, and `total` (a column) when given.
 */
async function readPage<R extends IssueRow>(
  db: Queryable,
  where: Where,
  direction: Direction,
  page: { rows: number; offset: number; after?: PageKey | undefined; total?: string },
): Promise<R[]> {
  const n = where.params.length;
  const { after } = page;
  // After a key: rows sorting after it. Written as a range on detected_at (an index
  // condition of both ordering indexes) and a tie-break on id, rather than a row
  // comparison the mixed-direction issues_detected index could not bound.
  const past = direction === 'newest' ? '<' : '>';
  const keyset = after
    ? `${where.sql ? ' AND' : 'WHERE'} detected_at ${past}= $${n + 3}::timestamptz
             AND (detected_at ${past} $${n + 3}::timestamptz OR id ${past} $${n + 4}::uuid)`
    : '';
  const by = (table: string) =>
    direction === 'newest'
      ? `${table}detected_at DESC, ${table}id DESC`
      : `${table}detected_at, ${table}id`;
  // The ids of the page and one more, from the covering listing index alone, then just
  // those rows and the relations of just those issues.
  const sql = `
        WITH ids AS (
          SELECT id FROM issues ${where.sql}${keyset} ORDER BY ${by('')} LIMIT $${n + 1} OFFSET $${n + 2}
        ), page AS (
          SELECT issues.* FROM ids JOIN issues ON issues.id = ids.id
        ), rel AS MATERIALIZED (
          SELECT r.id, r.source_id, r.target_id, r.created_at FROM issue_relations r
          WHERE r.source_id IN (SELECT id FROM page) OR r.target_id IN (SELECT id FROM page)
        )
        SELECT ${issueColumns('page', 'rel')}${page.total ?? ''}
        FROM page ORDER BY ${by('page.')}`;
  const params = [
    ...where.params,
    page.rows,
    page.offset,
    ...(after ? [after.detectedAt, after.id] : []),
  ];
  const result = await db.query<R>(sql, params, statementName(where, sql));
  return result.rows;
}

/**
 * Worst first: the severities in turn, each a page by detection time (newest first)
 * with the severity as one more condition, until the page is full. A cursor names the
 * severity its page ended in, and the pages go on from there. The counts table, when it
 * answers the filter, tells which severities have no issues (not read at all) and how
 * many an offset skips in each; otherwise an offset is resolved by counting, at most
 * `offset` issues in all.
 */
async function listBySeverity(
  db: Queryable,
  filter: IssueFilter,
  page: { limit: number; offset: number },
  after: PageKey | undefined,
): Promise<IssueListPage> {
  const words = filter.search ? await searchWords(db, filter.search) : undefined;
  const where = buildWhere(filter, words);
  const severities = WORST_FIRST.filter((s) => !filter.severity || s === filter.severity);
  const from = after?.severity ? severities.indexOf(after.severity) : 0;
  const sizes = coveredByCounts(filter) ? await countBySeverity(db, where) : undefined;
  const read = async () => {
    const rows: IssueRow[] = [];
    let skip = page.offset;
    for (const [i, severity] of (from < 0 ? [] : severities.slice(from)).entries()) {
      const key = i === 0 ? after : undefined;
      const size = sizes?.[severity];
      // Severities the offset passes, and those with no issues at all, are not read.
      if (size !== undefined && !key && size <= skip) {
        skip -= size;
        continue;
      }
      const one = buildWhere({ ...filter, severity }, words);
      const wanted = page.limit + 1 - rows.length;
      const got = await readPage(db, one, 'newest', { rows: wanted, offset: skip, after: key });
      rows.push(...got);
      if (rows.length > page.limit) break;
      if (skip > 0 && got.length > 0) skip = 0;
      else if (skip > 0) skip -= Math.min(skip, size ?? (await countUpTo(db, one, skip)));
    }
    return rows;
  };
  const [rows, counted] = await Promise.all([
    read(),
    sizes ? { total: sum(Object.values(sizes)), estimate: false } : totalOf(db, filter, where),
  ]);
  return pageOf(rows, counted, page, true);
}

/** How many issues of each severity match, from the counts table. */
async function countBySeverity(db: Queryable, where: Where): Promise<Record<Severity, number>> {
  const sql = `SELECT severity, coalesce(sum(n), 0)::int AS n FROM ${COUNTED} ${where.sql} GROUP BY severity`;
  const result = await db.query<{ severity: Severity; n: number }>(
    sql,
    where.params,
    statementName(where, sql),
  );
  const sizes: Record<Severity, number> = { critical: 0, major: 0, minor: 0, info: 0 };
  for (const row of result.rows) sizes[row.severity] += row.n;
  return sizes;
}

/** How many issues match `where`, counting at most `bound`. */
async function countUpTo(db: Queryable, where: Where, bound: number): Promise<number> {
  const sql = `SELECT count(*)::int AS n FROM (SELECT 1 FROM issues ${where.sql} LIMIT $${where.params.length + 1}) m`;
  const result = await db.query<{ n: number }>(
    sql,
    [...where.params, bound],
    statementName(where, sql),
  );
  return result.rows[0]?.n ?? 0;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The page of `rows` (`limit` + 1 at most), its `next` key and its total. */
function pageOf(
  rows: IssueRow[],
  counted: Total,
  page: { limit: number; offset: number },
  withSeverity: boolean,
): IssueListPage {
  const more = rows.length > page.limit;
  const data = rows.slice(0, page.limit).map(toIssue);
  const last = data.at(-1);
  const next =
    more && last
      ? {
          detectedAt: last.detectedAt,
          id: last.id,
          ...(withSeverity ? { severity: last.severity } : {}),
        }
      : null;
  if (!counted.estimate) return { data, total: counted.total, ...page, next };
  // An estimate never claims fewer issues than this page shows exist.
  const seen = page.offset + data.length + (more ? 1 : 0);
  const total = Math.max(counted.total, seen);
  return { data, total, totalIsEstimate: true, ...page, next };
}
