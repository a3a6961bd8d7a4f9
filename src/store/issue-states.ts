/**
 * How many issues are in each state, for the `kite_issues` gauge (src/api/metrics.ts).
 * A whole-table count: the gauge caches it for a few seconds between scrapes.
 */
import { STATES, type IssueState } from '../domain/issue.js';
import type { Queryable } from './database.js';

export interface StateCount {
  state: IssueState;
  issues: number;
}

/** Every state, those without issues at 0. */
export async function countIssuesByState(db: Queryable): Promise<StateCount[]> {
  const result = await db.query<{ state: string; n: number }>(
    'SELECT state, count(*)::int AS n FROM issues GROUP BY state',
    [],
    'kite_count_issues_by_state',
  );
  return STATES.map((state) => ({
    state,
    issues: result.rows.find((row) => row.state === state)?.n ?? 0,
  }));
}
