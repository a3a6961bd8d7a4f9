/**
 * The notification queue's SQL (docs/decisions/0053-notification-outbox.md): routing the
 * outbox the `issues` trigger fills into subscription groups (notification-routing.ts),
 * reading the groups that are due, committing their flushes as deliveries
 * (notification-flush.ts), and claiming deliveries to send. Every step that takes work
 * uses `FOR UPDATE SKIP LOCKED`, so replicas share the work and never take the same row;
 * a delivery is claimed with a lease, so the claim survives the transaction that made it
 * and the send happens outside any transaction.
 */
import {
  messageItem,
  type FlushPlan,
  type NotificationMessage,
  type PendingTransition,
} from '../domain/notification.js';
import type { Receiver } from '../domain/subscription.js';
import type { Database } from './database.js';
import {
  flushGroup,
  ISSUE_FIELDS,
  issueOf,
  toPending,
  type DueGroup,
  type FlushTiming,
  type PendingRow,
} from './notification-flush.js';
import { plusMs as ms, routeOutbox } from './notification-routing.js';

export type { DueGroup, FlushTiming } from './notification-flush.js';

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

export function createNotificationQueue(db: Database): NotificationQueue {
  return {
    route: (limit) => db.transaction((tx) => routeOutbox(tx, limit)),

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
          if (await flushGroup(tx, group, plan, timing)) done += 1;
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
