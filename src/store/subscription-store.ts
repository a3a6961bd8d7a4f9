/**
 * The notification subscriptions of each namespace (docs/notifications.md): a spec per
 * name, replaced whole by a PUT. The spec holds secret references, never their values.
 */
import type { StoredSpec, Subscription } from '../domain/subscription.js';
import type { Database } from './database.js';

export interface SubscriptionStore {
  list(namespace: string, source?: string): Promise<Subscription[]>;
  get(namespace: string, name: string): Promise<Subscription | undefined>;
  /** Creates or replaces; `created` tells which. */
  put(
    namespace: string,
    name: string,
    spec: StoredSpec,
  ): Promise<{ subscription: Subscription; created: boolean }>;
  /** Whether there was one to delete. */
  delete(namespace: string, name: string): Promise<boolean>;
}

interface Row {
  namespace: string;
  name: string;
  source: string;
  spec: Omit<StoredSpec, 'source'>;
  created_at: string;
  updated_at: string;
  created?: boolean;
}

// Times as RFC 3339 text from PostgreSQL (as src/store/issue-rows.ts reads them).
const COLUMNS = `namespace, name, source, spec, to_json(created_at) #>> '{}' AS created_at,
  to_json(updated_at) #>> '{}' AS updated_at`;

export function toSubscription(row: Row): Subscription {
  return {
    name: row.name,
    namespace: row.namespace,
    source: row.source,
    match: row.spec.match,
    receivers: row.spec.receivers,
    groupBy: row.spec.groupBy,
    groupWait: row.spec.groupWait,
    groupInterval: row.spec.groupInterval,
    repeatInterval: row.spec.repeatInterval,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function createSubscriptionStore(db: Database): SubscriptionStore {
  return {
    async list(namespace, source) {
      const result = await db.query<Row>(
        `SELECT ${COLUMNS} FROM notification_subscriptions
         WHERE namespace = $1 AND ($2::text IS NULL OR source = $2) ORDER BY name`,
        [namespace, source ?? null],
      );
      return result.rows.map(toSubscription);
    },
    async get(namespace, name) {
      const result = await db.query<Row>(
        `SELECT ${COLUMNS} FROM notification_subscriptions WHERE namespace = $1 AND name = $2`,
        [namespace, name],
      );
      const row = result.rows[0];
      return row ? toSubscription(row) : undefined;
    },
    async put(namespace, name, { source, ...spec }) {
      // xmax = 0: the row was inserted by this statement, not updated.
      const result = await db.query<Row>(
        `INSERT INTO notification_subscriptions (namespace, name, source, spec)
         VALUES ($1, $2, $3, $4::jsonb)
         ON CONFLICT (namespace, name) DO UPDATE
           SET source = EXCLUDED.source, spec = EXCLUDED.spec, updated_at = now()
         RETURNING ${COLUMNS}, (xmax = 0) AS created`,
        [namespace, name, source, JSON.stringify(spec)],
      );
      const row = result.rows[0];
      if (!row) throw new Error('the subscription upsert returned no row');
      return { subscription: toSubscription(row), created: row.created === true };
    },
    async delete(namespace, name) {
      const result = await db.query(
        'DELETE FROM notification_subscriptions WHERE namespace = $1 AND name = $2',
        [namespace, name],
      );
      return result.rowCount > 0;
    },
  };
}
