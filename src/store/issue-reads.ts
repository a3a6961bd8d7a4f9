/**
 * Every read of issues: one issue, pages of issues, counts, an issue's timeline and the
 * namespaces that hold issues. Writes live in issue-store.ts, which composes these into
 * the `IssueStore` the routes use. Totals and counts come from the counts table where
 * the filter allows (issue-totals.ts).
 */
import type { Issue, IssueEvent } from '../domain/issue.js';
import type { PageKey } from '../domain/page-cursor.js';
import type { Database, Queryable } from './database.js';
import { coveredByCounts, planWhere, type IssueFilter } from './issue-filter.js';
import { overviewCounts, type OverviewCounts } from './issue-overview.js';
import { issueColumns, toIssue, type IssueRow } from './issue-rows.js';
import {
  COUNTED,
  countIssues,
  statementName,
  totalOf,
  type IssueCounts,
  type Total,
} from './issue-totals.js';

export type { IssueCounts } from './issue-totals.js';

export interface Page<T> {
  data: T[];
  total: number;
  /** Present (true) when `total` was not counted exactly (docs/api.md, "Totals"). */
  totalIsEstimate?: true;
  limit: number;
  offset: number;
}

export interface IssueReads {
  get(id: string): Promise<Issue | undefined>;
  /** The namespace an issue lives in, for permission checks before anything else. */
  namespaceOf(id: string): Promise<string | undefined>;
  /**
   * A page of issues, newest `detectedAt` first (id breaks ties). With `after`, the page
   * starts right after that key (keyset paging); `next` is the key of the page's last
   * issue when more follow, else null.
   */
  list(
    filter: IssueFilter,
    page: { limit: number; offset: number; after?: PageKey },
  ): Promise<Page<Issue> & { next: PageKey | null }>;
  count(filter: IssueFilter): Promise<IssueCounts>;
  events(id: string, page: { limit: number; offset: number }): Promise<Page<IssueEvent>>;
  /** The namespaces that hold at least one issue. */
  namespaces(): Promise<string[]>;
  /** The overview (issue-overview.ts); `namespaces` undefined for all of them. */
  overview(
    namespaces: string[] | undefined,
    since: Date,
    worstLimit: number,
  ): Promise<OverviewCounts>;
}

const GET_ISSUE = `SELECT ${issueColumns('i')} FROM issues i WHERE i.id = $1`;

/** One issue by id, through any connection or transaction. */
export async function getIssue(q: Queryable, id: string): Promise<Issue | undefined> {
  const result = await q.query<IssueRow>(GET_ISSUE, [id], 'kite_get_issue');
  const row = result.rows[0];
  return row ? toIssue(row) : undefined;
}

export function createIssueReads(db: Database): IssueReads {
  const reads: IssueReads = {
    get: (id) => getIssue(db, id),

    async namespaceOf(id) {
      const result = await db.query<{ namespace: string }>(
        'SELECT namespace FROM issues WHERE id = $1',
        [id],
        'kite_namespace_of',
      );
      return result.rows[0]?.namespace;
    },

    async list(filter, { after, ...page }) {
      const where = await planWhere(db, filter);
      const n = where.params.length;
      // After a key: rows sorting after it in (detected_at DESC, id DESC). Written as a
      // range on detected_at (an index condition of both ordering indexes) and a
      // tie-break on id, rather than a row comparison the mixed-direction
      // issues_detected index could not bound.
      const keyset = after
        ? `${where.sql ? ' AND' : 'WHERE'} detected_at <= $${n + 3}::timestamptz
             AND (detected_at < $${n + 3}::timestamptz OR id < $${n + 4}::uuid)`
        : '';
      // The ids of the page and one more (whether another page follows), from the
      // covering listing index alone, then just those rows and the relations of just
      // those issues. The total is never a count of every match: from the counts table,
      // or bounded (issue-totals.ts). A counts-table total rides in the page's own
      // statement (one round trip, not two); other totals, and the total of an empty
      // page, are a separate statement.
      const countsTotal = `(SELECT coalesce(sum(n), 0)::int FROM ${COUNTED} ${where.sql})`;
      const pageSql = (total: string) => `
        WITH ids AS (
          SELECT id FROM issues ${where.sql}${keyset} ORDER BY detected_at DESC, id DESC LIMIT $${n + 1} OFFSET $${n + 2}
        ), page AS (
          SELECT issues.* FROM ids JOIN issues ON issues.id = ids.id
        ), rel AS MATERIALIZED (
          SELECT r.id, r.source_id, r.target_id, r.created_at FROM issue_relations r
          WHERE r.source_id IN (SELECT id FROM page) OR r.target_id IN (SELECT id FROM page)
        )
        SELECT ${issueColumns('page', 'rel')}${total}
        FROM page ORDER BY page.detected_at DESC, page.id DESC`;
      const params = [
        ...where.params,
        page.limit + 1,
        page.offset,
        ...(after ? [after.detectedAt, after.id] : []),
      ];
      const together = pageSql(`, ${countsTotal} AS total`);
      const name = coveredByCounts(filter) ? statementName(where, together) : undefined;
      const [result, counted] = name
        ? await db
            .query<IssueRow & { total: number }>(together, params, name)
            .then(async (answer): Promise<[typeof answer, Total]> => {
              const total = answer.rows[0]?.total;
              if (total !== undefined) return [answer, { total, estimate: false }];
              return [answer, await totalOf(db, filter, where)];
            })
        : await Promise.all([
            db.query<IssueRow>(pageSql(''), params, statementName(where, pageSql(''))),
            totalOf(db, filter, where),
          ]);
      const more = result.rows.length > page.limit;
      const data = result.rows.slice(0, page.limit).map(toIssue);
      const last = data.at(-1);
      const next = more && last ? { detectedAt: last.detectedAt, id: last.id } : null;
      if (!counted.estimate) return { data, total: counted.total, ...page, next };
      // An estimate never claims fewer issues than this page shows exist.
      const seen = page.offset + data.length + (more ? 1 : 0);
      const total = Math.max(counted.total, seen);
      return { data, total, totalIsEstimate: true, ...page, next };
    },

    count: async (filter) => countIssues(db, filter, await planWhere(db, filter)),

    overview: (namespaces, since, worstLimit) =>
      overviewCounts(db, namespaces, since, async (severity) => {
        const page = { limit: worstLimit, offset: 0 };
        return (await reads.list({ namespaces, state: 'ACTIVE', severity }, page)).data;
      }),

    async events(id, page) {
      const [rows, total] = await Promise.all([
        db.query<{
          id: string;
          issue_id: string;
          kind: IssueEvent['kind'];
          at: Date;
          summary: string;
          run_id: string | null;
        }>(
          `SELECT id::text, issue_id, kind, at, summary, run_id FROM issue_events
           WHERE issue_id = $1 ORDER BY issue_events.id DESC LIMIT $2 OFFSET $3`,
          [id, page.limit, page.offset],
        ),
        db.query<{ total: number }>(
          'SELECT count(*)::int AS total FROM issue_events WHERE issue_id = $1',
          [id],
        ),
      ]);
      const data = rows.rows.map((row) => ({
        id: row.id,
        issueId: row.issue_id,
        kind: row.kind,
        at: row.at.toISOString(),
        summary: row.summary,
        runId: row.run_id,
      }));
      return { data, total: total.rows[0]?.total ?? 0, ...page };
    },

    async namespaces() {
      // A loose index scan over the listing index: one probe per distinct namespace.
      const result = await db.query<{ namespace: string }>(
        `WITH RECURSIVE ns AS (
           (SELECT namespace FROM issues ORDER BY namespace LIMIT 1)
           UNION ALL
           SELECT (SELECT namespace FROM issues WHERE namespace > ns.namespace ORDER BY namespace LIMIT 1)
           FROM ns WHERE ns.namespace IS NOT NULL
         )
         SELECT namespace FROM ns WHERE namespace IS NOT NULL`,
        [],
        'kite_namespaces',
      );
      return result.rows.map((row) => row.namespace);
    },
  };
  return reads;
}
