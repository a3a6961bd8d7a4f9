/**
 * A notification group's flush (docs/decisions/0053-notification-outbox.md): what the
 * dispatcher decided (src/domain/notification.ts planFlush) committed as deliveries, one
 * per receiver, with the group's next flush and repeat.
 */
import type { Severity } from '../domain/issue.js';
import {
  MESSAGE_ITEMS,
  type FlushPlan,
  type MessageItem,
  type NotificationMessage,
  type NotifiedIssue,
  type PendingTransition,
  type Transition,
} from '../domain/notification.js';
import { durationMs, type StoredSpec } from '../domain/subscription.js';
import type { Queryable } from './database.js';
import { plusMs } from './notification-routing.js';

const ms = plusMs;

export interface DueGroup {
  namespace: string;
  subscription: string;
  groupKey: string;
  spec: Omit<StoredSpec, 'source'>;
  pending: PendingTransition[];
  /** repeat_interval has come round: what the group announced open is told again. */
  stillOpen: MessageItem[];
}

export interface FlushTiming {
  /** When a group with held (muted) transitions looks at them again. */
  holdRecheckMs: number;
}

/**
 * A group's flush, in one transaction: the group row locked (or left to the replica that
 * holds it), the taken transitions deleted (only those still there are told, so two
 * flushes never tell one twice), the held ones marked with their silence, one delivery
 * per receiver, and the group's next flush and repeat set.
 */
export async function flushGroup(
  tx: Queryable,
  group: DueGroup,
  plan: FlushPlan,
  timing: FlushTiming,
): Promise<boolean> {
  const key = [group.namespace, group.subscription, group.groupKey];
  const locked = await tx.query(
    `SELECT 1 FROM notification_groups
     WHERE namespace = $1 AND subscription = $2 AND group_key = $3
       AND (flush_at <= now() OR repeat_at <= now())
     FOR NO KEY UPDATE SKIP LOCKED`,
    key,
  );
  if (locked.rows.length === 0) return false;
  const deleted = await tx.query<{ id: string }>(
    'DELETE FROM notification_pending WHERE id = ANY($1::bigint[]) RETURNING id::text',
    [plan.taken],
  );
  const still = new Set(deleted.rows.map((row) => row.id));
  const items = plan.send.filter(({ id }) => still.has(id)).map(({ item }) => item);
  for (const { id, silence } of plan.held) {
    await tx.query('UPDATE notification_pending SET muted_by = $2 WHERE id = $1::bigint', [
      id,
      silence,
    ]);
  }
  const fresh = new Set(items.map((item) => item.issueId));
  const told = [...items, ...group.stillOpen.filter((item) => !fresh.has(item.issueId))];
  if (told.length > 0) {
    const message: NotificationMessage = {
      namespace: group.namespace,
      subscription: group.subscription,
      group: group.groupKey,
      items: told.slice(0, MESSAGE_ITEMS),
      omitted: Math.max(0, told.length - MESSAGE_ITEMS),
    };
    await tx.query(
      `INSERT INTO notification_deliveries (namespace, subscription, group_key, receiver, message)
       SELECT $1, $2, $3, receiver, $5::jsonb FROM jsonb_array_elements($4::jsonb) receiver`,
      [...key, JSON.stringify(group.spec.receivers), JSON.stringify(message)],
    );
  }
  const repeat = group.spec.repeatInterval === null ? null : durationMs(group.spec.repeatInterval);
  // What the group has announced open matters only to repeat_interval.
  if (repeat !== null) await rememberOpen(tx, key, items);
  await tx.query(
    `UPDATE notification_groups g SET
       last_sent_at = CASE WHEN $4 THEN now() ELSE g.last_sent_at END,
       flush_at = CASE
         WHEN EXISTS (SELECT 1 FROM notification_pending p WHERE p.namespace = g.namespace
                      AND p.subscription = g.subscription AND p.group_key = g.group_key AND p.muted_by IS NOT NULL)
           THEN ${ms('now()', '$5')}
         WHEN EXISTS (SELECT 1 FROM notification_pending p WHERE p.namespace = g.namespace
                      AND p.subscription = g.subscription AND p.group_key = g.group_key)
           THEN ${ms('now()', '$6')}
         END,
       repeat_at = CASE WHEN $7::bigint IS NOT NULL AND EXISTS (SELECT 1 FROM notification_group_open o
                      WHERE o.namespace = g.namespace AND o.subscription = g.subscription AND o.group_key = g.group_key)
         THEN CASE WHEN $4 OR g.repeat_at IS NULL OR g.repeat_at <= now() THEN ${ms('now()', '$7')} ELSE g.repeat_at END
         END
     WHERE namespace = $1 AND subscription = $2 AND group_key = $3`,
    [...key, told.length > 0, timing.holdRecheckMs, durationMs(group.spec.groupInterval), repeat],
  );
  return true;
}

/** The group's open set: what it announced open and has not announced resolved. */
async function rememberOpen(tx: Queryable, key: string[], items: MessageItem[]): Promise<void> {
  const opened = items.filter((i) => i.transition !== 'resolved').map((i) => i.issueId);
  const resolved = items.filter((i) => i.transition === 'resolved').map((i) => i.issueId);
  if (opened.length > 0) {
    await tx.query(
      `INSERT INTO notification_group_open (namespace, subscription, group_key, issue_id)
       SELECT $1, $2, $3, unnest($4::uuid[]) ON CONFLICT DO NOTHING`,
      [...key, opened],
    );
  }
  await tx.query(
    `DELETE FROM notification_group_open WHERE namespace = $1 AND subscription = $2
       AND group_key = $3 AND (issue_id = ANY($4::uuid[])
         OR NOT EXISTS (SELECT 1 FROM issues i WHERE i.id = issue_id AND i.state = 'ACTIVE'))`,
    [...key, resolved],
  );
}

export const ISSUE_FIELDS = `i.title, i.description, i.severity AS issue_severity, i.state, i.issue_type,
  i.scope_type, i.scope_name, i.labels, i.links`;

export interface PendingRow {
  id: string;
  issue_id: string;
  transition: Transition;
  severity: Severity;
  previous_severity: Severity | null;
  at: string;
  title: string | null;
  description: string;
  issue_severity: Severity;
  state: NotifiedIssue['state'];
  issue_type: NotifiedIssue['issueType'];
  scope_type: string;
  scope_name: string;
  labels: NotifiedIssue['labels'];
  links: { title: string; url: string }[];
}

export function issueOf(row: PendingRow): NotifiedIssue | undefined {
  if (row.title === null) return undefined;
  return {
    title: row.title,
    description: row.description,
    severity: row.issue_severity,
    state: row.state,
    issueType: row.issue_type,
    scope: { resourceType: row.scope_type, resourceName: row.scope_name },
    labels: row.labels,
    links: row.links.map((link) => ({ title: link.title, url: link.url })),
  };
}

export function toPending(row: PendingRow): PendingTransition {
  return {
    id: row.id,
    issueId: row.issue_id,
    transition: row.transition,
    severity: row.severity,
    previousSeverity: row.previous_severity,
    at: row.at,
    issue: issueOf(row),
  };
}
