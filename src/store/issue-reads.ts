/**
 * Every read of issues: one issue, pages of issues, counts, an issue's timeline and the
 * namespaces that hold issues. Writes live in issue-store.ts, which composes these into
 * the `IssueStore` the routes use. Pages of issues are read in issue-list.ts; totals
 * and counts come from the counts table where the filter allows (issue-totals.ts).
 */
import type { Issue, IssueEvent } from '../domain/issue.js';
import type { Queryable } from './database.js';
import { planWhere, type IssueFilter } from './issue-filter.js';
import { listIssues, type IssueListPage, type ListRequest } from './issue-list.js';
import { overviewCounts, type OverviewCounts } from './issue-overview.js';
import { issueColumns, toIssue, type IssueRow } from './issue-rows.js';
import { countIssues, type IssueCounts } from './issue-totals.js';

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
   * A page of issues in `sort` order, by default newest `detectedAt` first (id breaks
   * ties). With `after`, the page starts right after that key (keyset paging); `next`
   * is the key of the page's last issue when more follow, else null.
   */
  list(filter: IssueFilter, page: ListRequest): Promise<IssueListPage>;
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

export function createIssueReads(db: Queryable): IssueReads {
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

    list: (filter, page) => listIssues(db, filter, page),

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
