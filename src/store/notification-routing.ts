/**
 * Routing the notification outbox (docs/decisions/0053-notification-outbox.md): the rows
 * the `issues` trigger wrote, matched against their namespace's subscriptions and moved
 * into subscription groups, in one transaction, so each transition is routed once.
 */
import type { Severity } from '../domain/issue.js';
import type { NotifiedIssue, Transition } from '../domain/notification.js';
import { durationMs, groupKey, matches, type StoredSpec } from '../domain/subscription.js';
import type { Queryable } from './database.js';

/** `column + param` milliseconds, in SQL. */
export const plusMs = (column: string, param: string) =>
  `${column} + ${param} * interval '1 millisecond'`;
const ms = plusMs;

interface OutboxRow {
  id: string;
  issue_id: string;
  namespace: string;
  transition: Transition;
  severity: Severity;
  previous_severity: Severity | null;
  at: string;
  issue_type: NotifiedIssue['issueType'] | null;
  labels: NotifiedIssue['labels'] | null;
}

/**
 * One routing step: the oldest outbox rows (skipping those another replica holds), each
 * matched against its namespace's subscriptions; a match becomes a pending transition in
 * its group, whose flush is set for group_wait after the transition (or, when the group
 * sent within group_interval, for the end of that interval). The outbox rows go in the
 * same transaction, so a transition is routed exactly once.
 */
export async function routeOutbox(tx: Queryable, limit: number): Promise<number> {
  const outbox = await tx.query<OutboxRow>(
    `SELECT o.id::text, o.issue_id, o.namespace, o.transition, o.severity, o.previous_severity,
            to_json(o.at) #>> '{}' AS at, i.issue_type, i.labels
     FROM notification_outbox o LEFT JOIN issues i ON i.id = o.issue_id
     ORDER BY o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED`,
    [limit],
  );
  if (outbox.rows.length === 0) return 0;
  const namespaces = [...new Set(outbox.rows.map((row) => row.namespace))];
  const subscriptions = await tx.query<{
    namespace: string;
    name: string;
    spec: Omit<StoredSpec, 'source'>;
  }>(
    'SELECT namespace, name, spec FROM notification_subscriptions WHERE namespace = ANY($1::text[])',
    [namespaces],
  );
  const groups = new Map<string, Record<string, unknown>>();
  const pending: Record<string, unknown>[] = [];
  for (const row of outbox.rows) {
    if (row.issue_type === null || row.labels === null) continue; // deleted since
    const issue = {
      namespace: row.namespace,
      issueType: row.issue_type,
      severity: row.severity,
      labels: row.labels,
    };
    for (const s of subscriptions.rows) {
      if (s.namespace !== row.namespace || !matches(s.spec.match, issue)) continue;
      const key = groupKey(s.spec.groupBy, issue);
      const id = JSON.stringify([s.namespace, s.name, key]);
      const known = groups.get(id);
      if (!known || String(known.at) > row.at) {
        groups.set(id, {
          namespace: s.namespace,
          subscription: s.name,
          group_key: key,
          at: row.at,
          wait: durationMs(s.spec.groupWait),
          interval: durationMs(s.spec.groupInterval),
        });
      }
      pending.push({
        namespace: s.namespace,
        subscription: s.name,
        group_key: key,
        issue_id: row.issue_id,
        transition: row.transition,
        severity: row.severity,
        previous_severity: row.previous_severity,
        at: row.at,
      });
    }
  }
  if (groups.size > 0) {
    // A group that sent within group_interval waits for the end of it.
    await tx.query(
      `INSERT INTO notification_groups AS g (namespace, subscription, group_key, interval_ms, flush_at)
       SELECT namespace, subscription, group_key, interval, ${ms('at', 'wait')}
       FROM jsonb_to_recordset($1::jsonb) AS r(namespace text, subscription text, group_key text,
         at timestamptz, wait bigint, interval bigint)
       ORDER BY namespace, subscription, group_key
       ON CONFLICT (namespace, subscription, group_key) DO UPDATE SET
         interval_ms = EXCLUDED.interval_ms,
         flush_at = coalesce(g.flush_at,
           greatest(EXCLUDED.flush_at, ${ms('g.last_sent_at', 'EXCLUDED.interval_ms')}))`,
      [JSON.stringify([...groups.values()])],
    );
    await tx.query(
      `INSERT INTO notification_pending
         (namespace, subscription, group_key, issue_id, transition, severity, previous_severity, at)
       SELECT namespace, subscription, group_key, issue_id, transition, severity, previous_severity, at
       FROM jsonb_to_recordset($1::jsonb) AS r(namespace text, subscription text, group_key text,
         issue_id uuid, transition text, severity text, previous_severity text, at timestamptz)`,
      [JSON.stringify(pending)],
    );
  }
  await tx.query('DELETE FROM notification_outbox WHERE id = ANY($1::bigint[])', [
    outbox.rows.map((row) => row.id),
  ]);
  return outbox.rows.length;
}
