/**
 * What people change in root-cause groups: splitting a wrong member out and merging two
 * groups. Both stick: a split is recorded, so the member's next report does not bring it
 * back into that group (src/store/root-cause-join.ts skips it), and a merge moves the
 * keys a group is found by, so later reports of either cause join the merged group.
 * Sizes, states and namespaces follow from the members' triggers (migration 14).
 */
import { NotFoundError } from '../domain/errors.js';
import type { Database, Queryable } from './database.js';

export interface GroupEdits {
  /** The namespaces of every member, seen or not (for permission checks only). */
  memberNamespaces(groupId: string): Promise<string[] | undefined>;
  /** The namespace of a member, or undefined when the issue is not in the group. */
  memberNamespace(groupId: string, issueId: string): Promise<string | undefined>;
  split(groupId: string, issueId: string): Promise<void>;
  /** Moves every member, key and split of `otherId` into `groupId`; `otherId` is gone after. */
  merge(groupId: string, otherId: string): Promise<void>;
}

const SPLIT = `
WITH gone AS (
  DELETE FROM root_cause_members WHERE group_id = $1 AND issue_id = $2 RETURNING issue_id
), split AS (
  INSERT INTO root_cause_splits (issue_id, group_id) SELECT issue_id, $1 FROM gone
  ON CONFLICT DO NOTHING
)
SELECT count(*)::int AS n FROM gone`;

/**
 * Keys and splits are copied before the members move: when the last member leaves the
 * other group, the recount deletes it with its keys and splits.
 */
const MERGE = `
WITH keys AS (
  INSERT INTO root_cause_keys (key, group_id) SELECT key, $1 FROM root_cause_keys WHERE group_id = $2
  ON CONFLICT DO NOTHING
), splits AS (
  INSERT INTO root_cause_splits (issue_id, group_id, at)
  SELECT issue_id, $1, at FROM root_cause_splits WHERE group_id = $2
  ON CONFLICT DO NOTHING
), times AS (
  UPDATE root_cause_groups g SET first_seen_at = least(g.first_seen_at, o.first_seen_at),
    last_joined_at = greatest(g.last_joined_at, o.last_joined_at)
  FROM root_cause_groups o WHERE g.id = $1 AND o.id = $2
  RETURNING g.id
)
SELECT count(*)::int AS n FROM times`;

const MOVE = `UPDATE root_cause_members SET group_id = $1 WHERE group_id = $2`;

export function groupEdits(db: Database): GroupEdits {
  return {
    async memberNamespaces(groupId) {
      const rows = await db.query<{ namespaces: string[] }>(
        'SELECT namespaces FROM root_cause_groups WHERE id = $1 AND size >= 2',
        [groupId],
      );
      return rows.rows[0]?.namespaces;
    },
    async memberNamespace(groupId, issueId) {
      const rows = await db.query<{ namespace: string }>(
        'SELECT namespace FROM root_cause_members WHERE group_id = $1 AND issue_id = $2',
        [groupId, issueId],
      );
      return rows.rows[0]?.namespace;
    },
    async split(groupId, issueId) {
      const result = await db.query<{ n: number }>(SPLIT, [groupId, issueId]);
      if (result.rows[0]?.n !== 1) throw new NotFoundError('Issue not in this group');
    },
    async merge(groupId, otherId) {
      await db.transaction(async (tx: Queryable) => {
        const result = await tx.query<{ n: number }>(MERGE, [groupId, otherId]);
        if (result.rows[0]?.n !== 1) throw new NotFoundError('Group not found');
        await tx.query(MOVE, [groupId, otherId]);
      });
    },
  };
}
