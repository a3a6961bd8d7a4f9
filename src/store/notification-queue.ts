/**
 * The notification queue's SQL (docs/decisions/0053-notification-outbox.md): routing the
 * outbox the `issues` trigger fills into subscription groups, reading the groups that are
 * due, committing a group's flush as deliveries, and claiming deliveries to send. Every
 * step that takes work uses `FOR UPDATE SKIP LOCKED`, so replicas share the work and never
 * take the same row; a delivery is claimed with a lease, so the claim survives the
 * transaction that made it and the send happens outside any transaction.
 */
import type { Severity } from '../domain/issue.js';
import {
  MESSAGE_ITEMS,
  messageItem,
  type FlushPlan,
  type MessageItem,
  type NotificationMessage,
  type NotifiedIssue,
  type PendingTransition,
  type Transition,
} from '../domain/notification.js';
import {
  durationMs,
  groupKey,
  matches,
  type Receiver,
  type StoredSpec,
} from '../domain/subscription.js';
import type { Database, Queryable } from './database.js';

export interface DueGroup {
  namespace: string;
  subscription: string;
  groupKey: string;
  spec: Omit<StoredSpec, 'source'>;
  pending: PendingTransition[];
  /** repeat_interval has come round: what the group announced open is told again. */
  stillOpen: MessageItem[];
}

export interface ClaimedDelivery {
  id: string;
  claim: string;
  namespace: string;
  subscription: string;
  receiver: Receiver;
  message: NotificationMessage;
  attempts: number;
}

export interface DeliveryView {
  id: string;
  subscription: string;
  group: string;
  receiverType: Receiver['type'];
  state: 'pending' | 'sent' | 'dead';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  nextAttemptAt: string | null;
  issues: { issueId: string; transition: string }[];
}

export interface NotificationQueue {
  /** Routes up to `limit` outbox rows into their groups; resolves to how many were read. */
  route(limit: number): Promise<number>;
  dueGroups(limit: number): Promise<DueGroup[]>;
  /**
   * Commits the flushes of several groups in one transaction (one commit for a tick's
   * groups); a group another replica is flushing is skipped. Resolves to how many were done.
   */
  flush(flushes: { group: DueGroup; plan: FlushPlan }[], options: FlushTiming): Promise<number>;
  claim(limit: number, leaseMs: number, claim: string): Promise<ClaimedDelivery[]>;
  /** Records deliveries sent, in one statement (only those this claim still holds). */
  sent(deliveries: ClaimedDelivery[]): Promise<void>;
  failed(delivery: ClaimedDelivery, error: string, retryInMs: number | 'dead'): Promise<void>;
  list(
    namespace: string,
    state: DeliveryView['state'] | undefined,
    limit: number,
  ): Promise<DeliveryView[]>;
  countByState(): Promise<{ state: string; deliveries: number }[]>;
  /** Milliseconds until the next group or delivery is due (0: now); null: nothing waits. */
  nextDueInMs(): Promise<number | null>;
  /** Deletes sent deliveries older than `olderThan`. */
  prune(olderThan: Date): Promise<number>;
}

export interface FlushTiming {
  /** When a group with held (muted) transitions looks at them again. */
  holdRecheckMs: number;
}

const ms = (column: string, param: string) => `${column} + ${param} * interval '1 millisecond'`;

export function createNotificationQueue(db: Database): NotificationQueue {
  return {
    route: (limit) => db.transaction((tx) => route(tx, limit)),

    async dueGroups(limit) {
      const groups = await db.query<{
        namespace: string;
        subscription: string;
        group_key: string;
        spec: DueGroup['spec'];
        repeat_due: boolean;
      }>(
        `SELECT g.namespace, g.subscription, g.group_key, s.spec,
                coalesce(g.repeat_at <= now(), false) AS repeat_due
         FROM notification_groups g
         JOIN notification_subscriptions s ON s.namespace = g.namespace AND s.name = g.subscription
         WHERE g.flush_at <= now() OR g.repeat_at <= now()
         ORDER BY least(g.flush_at, g.repeat_at) LIMIT $1`,
        [limit],
      );
      if (groups.rows.length === 0) return [];
      // Every due group's pending transitions in one statement, with their issues (a
      // namespace and a subscription name hold no "/", so the joined key is unambiguous).
      const keys = JSON.stringify(
        groups.rows.map((g) => ({ n: g.namespace, s: g.subscription, k: g.group_key })),
      );
      const pending = await db.query<PendingRow & { group: string }>(
        `SELECT p.id::text, p.issue_id, p.transition, p.severity, p.previous_severity,
                to_json(p.at) #>> '{}' AS at, ${ISSUE_FIELDS},
                p.namespace || '/' || p.subscription || '/' || p.group_key AS group
         FROM jsonb_to_recordset($1::jsonb) AS due(n text, s text, k text)
         JOIN notification_pending p ON p.namespace = due.n AND p.subscription = due.s AND p.group_key = due.k
         LEFT JOIN issues i ON i.id = p.issue_id
         ORDER BY p.id`,
        [keys],
      );
      const byGroup = new Map<string, PendingTransition[]>();
      for (const row of pending.rows) {
        const list = byGroup.get(row.group) ?? [];
        byGroup.set(row.group, [...list, toPending(row)]);
      }
      return Promise.all(
        groups.rows.map(async (g) => {
          const key = [g.namespace, g.subscription, g.group_key];
          const open = g.repeat_due
            ? await db.query<PendingRow>(
                `SELECT o.issue_id, ${ISSUE_FIELDS}, to_json(now()) #>> '{}' AS at
                 FROM notification_group_open o JOIN issues i ON i.id = o.issue_id
                 WHERE o.namespace = $1 AND o.subscription = $2 AND o.group_key = $3
                   AND i.state = 'ACTIVE' ORDER BY o.issue_id`,
                key,
              )
            : { rows: [] };
          return {
            namespace: g.namespace,
            subscription: g.subscription,
            groupKey: g.group_key,
            spec: g.spec,
            pending: byGroup.get(key.join('/')) ?? [],
            stillOpen: open.rows.flatMap((row) => {
              const issue = issueOf(row);
              const still = { issueId: row.issue_id, transition: 'still-open' as const };
              return issue
                ? [messageItem(issue, { ...still, previousSeverity: null, at: row.at })]
                : [];
            }),
          };
        }),
      );
    },

    flush: (flushes, timing) =>
      db.transaction(async (tx) => {
        let done = 0;
        for (const { group, plan } of flushes) {
          if (await flush(tx, group, plan, timing)) done += 1;
        }
        return done;
      }),

    async claim(limit, leaseMs, claim) {
      const result = await db.query<ClaimedDelivery>(
        `UPDATE notification_deliveries d
         SET claim = $1, claimed_until = ${ms('now()', '$2')}, attempts = d.attempts + 1
         WHERE d.id IN (
           SELECT id FROM notification_deliveries
           WHERE state = 'pending' AND next_attempt_at <= now()
             AND (claimed_until IS NULL OR claimed_until < now())
           ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING d.id, d.claim, d.namespace, d.subscription, d.receiver, d.message, d.attempts`,
        [claim, leaseMs, limit],
      );
      return result.rows;
    },

    async sent(deliveries) {
      if (deliveries.length === 0) return;
      await db.query(
        `UPDATE notification_deliveries d
         SET state = 'sent', sent_at = now(), claim = NULL, claimed_until = NULL, last_error = NULL
         FROM jsonb_to_recordset($1::jsonb) AS s(id uuid, claim uuid)
         WHERE d.id = s.id AND d.claim = s.claim`,
        [JSON.stringify(deliveries.map(({ id, claim }) => ({ id, claim })))],
      );
    },

    async failed(delivery, error, retryInMs) {
      await db.query(
        `UPDATE notification_deliveries
         SET state = CASE WHEN $4::boolean THEN 'dead' ELSE 'pending' END,
             next_attempt_at = ${ms('now()', '$3')}, last_error = $5,
             claim = NULL, claimed_until = NULL
         WHERE id = $1 AND claim = $2`,
        [
          delivery.id,
          delivery.claim,
          retryInMs === 'dead' ? 0 : retryInMs,
          retryInMs === 'dead',
          error,
        ],
      );
    },

    async list(namespace, state, limit) {
      const result = await db.query<ListRow>(
        `SELECT id, subscription, group_key, receiver->>'type' AS receiver_type, state, attempts,
                last_error, to_json(created_at) #>> '{}' AS created_at,
                to_json(sent_at) #>> '{}' AS sent_at,
                CASE WHEN state = 'pending' THEN to_json(next_attempt_at) #>> '{}' END AS next_attempt_at,
                (SELECT coalesce(jsonb_agg(jsonb_build_object('issueId', item->>'issueId',
                                                              'transition', item->>'transition')), '[]')
                 FROM jsonb_array_elements(message->'items') item) AS issues
         FROM notification_deliveries
         WHERE namespace = $1 AND ($2::text IS NULL OR state = $2)
         ORDER BY created_at DESC, id LIMIT $3`,
        [namespace, state ?? null, limit],
      );
      return result.rows.map((row) => ({
        id: row.id,
        subscription: row.subscription,
        group: row.group_key,
        receiverType: row.receiver_type,
        state: row.state,
        attempts: row.attempts,
        lastError: row.last_error,
        createdAt: row.created_at,
        sentAt: row.sent_at,
        nextAttemptAt: row.next_attempt_at,
        issues: row.issues,
      }));
    },

    async countByState() {
      const result = await db.query<{ state: string; deliveries: string }>(
        'SELECT state, count(*) AS deliveries FROM notification_deliveries GROUP BY state',
      );
      return result.rows.map((row) => ({ state: row.state, deliveries: Number(row.deliveries) }));
    },

    async nextDueInMs() {
      const result = await db.query<{ ms: number | null }>(
        `SELECT greatest(0, extract(epoch FROM (least(
           (SELECT min(flush_at) FROM notification_groups WHERE flush_at IS NOT NULL),
           (SELECT min(repeat_at) FROM notification_groups WHERE repeat_at IS NOT NULL),
           (SELECT min(next_attempt_at) FROM notification_deliveries WHERE state = 'pending')
         ) - now())) * 1000)::float8 AS ms`,
      );
      return result.rows[0]?.ms ?? null;
    },

    async prune(olderThan) {
      const result = await db.query(
        `DELETE FROM notification_deliveries WHERE state = 'sent' AND sent_at < $1`,
        [olderThan],
      );
      return result.rowCount;
    },
  };
}

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
async function route(tx: Queryable, limit: number): Promise<number> {
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

/**
 * A group's flush, in one transaction: the group row locked (or left to the replica that
 * holds it), the taken transitions deleted (only those still there are told, so two
 * flushes never tell one twice), the held ones marked with their silence, one delivery
 * per receiver, and the group's next flush and repeat set.
 */
async function flush(
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

const ISSUE_FIELDS = `i.title, i.description, i.severity AS issue_severity, i.state, i.issue_type,
  i.scope_type, i.scope_name, i.labels, i.links`;

interface PendingRow {
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

function issueOf(row: PendingRow): NotifiedIssue | undefined {
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

function toPending(row: PendingRow): PendingTransition {
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

interface ListRow {
  id: string;
  subscription: string;
  group_key: string;
  receiver_type: Receiver['type'];
  state: DeliveryView['state'];
  attempts: number;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
  next_attempt_at: string | null;
  issues: { issueId: string; transition: string }[];
}
