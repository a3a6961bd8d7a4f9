/**
 * Acknowledging an issue and taking it back (docs/silences.md). Each is one statement
 * that writes the issue's `acknowledgement` and its timeline event together. What
 * clears an acknowledgement otherwise (a reopening, a raise of severity) is decided by
 * the report upsert in the same statement as the change (src/store/report-upsert.ts).
 */
import type { Issue } from '../domain/issue.js';
import type { Queryable } from './database.js';
import { getIssue } from './issue-reads.js';
import { issueColumns, toIssue, type IssueRow } from './issue-rows.js';

const rfc3339 = (value: string) =>
  `to_char(${value} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const ACKNOWLEDGE = `
WITH up AS (
  UPDATE issues SET
    acknowledgement = jsonb_strip_nulls(jsonb_build_object('by', $2::text, 'at', ${rfc3339('now()')},
      'note', $3::text, 'until', ${rfc3339('$4::timestamptz')})),
    updated_at = now()
  WHERE id = $1
  RETURNING *
), event AS (
  INSERT INTO issue_events (issue_id, kind, summary)
  SELECT id, 'acknowledged', 'acknowledged by ' || $2::text
    || coalesce(' until ' || ${rfc3339('$4::timestamptz')}, '') || coalesce(': ' || $3::text, '')
  FROM up
)
SELECT ${issueColumns('up')} FROM up`;

/** Only an acknowledgement that still holds is taken back (and written on the timeline). */
const UNACKNOWLEDGE = `
WITH up AS (
  UPDATE issues SET acknowledgement = NULL, updated_at = now()
  WHERE id = $1 AND acknowledgement IS NOT NULL
    AND coalesce((acknowledgement ->> 'until')::timestamptz > now(), TRUE)
  RETURNING *
), event AS (
  INSERT INTO issue_events (issue_id, kind, summary)
  SELECT id, 'unacknowledged', 'acknowledgement withdrawn by ' || $2::text FROM up
)
SELECT ${issueColumns('up')} FROM up`;

export interface AcknowledgementStore {
  /** The issue acknowledged by `by`, replacing any acknowledgement; undefined when gone. */
  acknowledge(
    id: string,
    by: string,
    details: { note?: string; until?: string },
  ): Promise<Issue | undefined>;
  /** The issue without its acknowledgement; undefined when gone. */
  unacknowledge(id: string, by: string): Promise<Issue | undefined>;
}

export function createAcknowledgementStore(db: Queryable): AcknowledgementStore {
  return {
    async acknowledge(id, by, { note, until }) {
      const result = await db.query<IssueRow>(ACKNOWLEDGE, [id, by, note ?? null, until ?? null]);
      const row = result.rows[0];
      return row ? toIssue(row) : undefined;
    },
    async unacknowledge(id, by) {
      const result = await db.query<IssueRow>(UNACKNOWLEDGE, [id, by]);
      const row = result.rows[0];
      return row ? toIssue(row) : getIssue(db, id);
    },
  };
}
