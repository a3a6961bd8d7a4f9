/**
 * The monthly partitions of `issue_events` (migration 16, src/store/schema-partitions.ts):
 * made ahead of time, and dropped whole once every event they may hold is older than the
 * retention cutoff, instead of deleting their rows one by one.
 */
import type { Queryable } from './database.js';

/** How many months beyond the current one have their partition ready. */
export const MONTHS_AHEAD = 2;

/** The partitions with their upper bounds (the first one's lower bound is MINVALUE). */
const PARTITIONS = `
SELECT c.relname AS name,
       substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''([^'']+)''\\)')::timestamptz AS upper
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'issue_events'::regclass`;

/**
 * Drops the partitions whose every event is older than `olderThan`; answers how many
 * events they held. Dropping a partition locks `issue_events` for an instant, once a
 * month.
 */
export async function dropOldEventPartitions(q: Queryable, olderThan: Date): Promise<number> {
  const old = await q.query<{ name: string }>(
    `SELECT name FROM (${PARTITIONS}) p WHERE upper <= $1 ORDER BY upper`,
    [olderThan],
  );
  let events = 0;
  for (const { name } of old.rows) {
    const dropped = await q.query<{ n: string }>('SELECT kite_drop_event_partition($1) AS n', [
      name,
    ]);
    events += Number(dropped.rows[0]?.n ?? 0);
  }
  return events;
}

/** Makes the partitions of this month and the next `MONTHS_AHEAD`; answers how many it made. */
export async function ensureEventPartitions(q: Queryable): Promise<number> {
  const made = await q.query<{ made: number }>('SELECT kite_event_partitions($1) AS made', [
    MONTHS_AHEAD,
  ]);
  return made.rows[0]?.made ?? 0;
}
