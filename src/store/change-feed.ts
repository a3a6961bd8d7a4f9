/**
 * Fans out the database's NOTIFY messages about issue changes to in-process subscribers
 * (the live event streams), and replays the changes a reconnecting stream missed. Every
 * server replica LISTENs, so every replica sees every change, whichever replica (or
 * operator, or script) made it.
 *
 * Each change carries an event id from the `issue_events` sequence (migration 9): the
 * event row the change wrote, or a tombstone for a delete. The same rows answer
 * `since()`, so a stream that reconnects with its last id gets what it missed
 * (docs/decisions/0026-event-fan-out.md).
 */
import type { IssueChange } from '../domain/issue.js';
import type { GroupChange } from '../domain/root-cause-group.js';
import type { Database } from './database.js';
import { CHANGE_CHANNEL } from './schema.js';
import { GROUP_CHANNEL } from './schema-groups.js';

/** A change and its event id (a decimal integer; absent only from an older trigger). */
export interface FeedEvent {
  eventId: string | undefined;
  change: IssueChange;
}

/** What a stream missed since an event id, or why that cannot be told. */
export type Missed =
  | { kind: 'missed'; head: string; events: FeedEvent[] }
  | { kind: 'lost'; head: string; reason: string };

export interface ChangeFeed {
  subscribe(listener: (event: FeedEvent) => void): () => void;
  /** Group changes, live only (they have no event id and are not replayed). */
  subscribeGroups(listener: (change: GroupChange) => void): () => void;
  /**
   * The changes after event id `after` (none when it is absent) in the given namespaces
   * (all when absent), in id order, up to `head`: the newest id handed out when asked.
   * Changes after `head`, or not yet committed then, arrive live.
   */
  since(after: bigint | undefined, namespaces: readonly string[] | undefined): Promise<Missed>;
  close(): Promise<void>;
}

/** A resume that spans more ids than this (all namespaces) is not replayed. */
export const REPLAY_SPAN = 1_000_000n;
/** A resume that would replay more changes than this is not replayed either. */
export const REPLAY_LIMIT = 5_000;

const BOUNDS = `SELECT
  coalesce(pg_sequence_last_value(pg_get_serial_sequence('issue_events', 'id')::regclass), 0)::text AS head,
  least((SELECT min(id) FROM issue_events), (SELECT min(id) FROM issue_tombstones))::text AS oldest`;

/** Replayed events carry the issue as it is now; the type follows the event's kind. */
const MISSED = `SELECT eid::text AS event_id, type, id, namespace, state, severity, issue_type FROM (
  SELECT e.id AS eid,
    CASE e.kind WHEN 'created' THEN 'created' WHEN 'resolved' THEN 'resolved' ELSE 'updated' END AS type,
    i.id, i.namespace, i.state, i.severity, i.issue_type
  FROM issue_events e JOIN issues i ON i.id = e.issue_id
  WHERE e.id > $1::bigint AND e.id <= $2::bigint AND ($3::text[] IS NULL OR i.namespace = ANY($3::text[]))
  UNION ALL
  SELECT t.id, 'deleted', t.issue_id, t.namespace, t.state, t.severity, t.issue_type
  FROM issue_tombstones t
  WHERE t.id > $1::bigint AND t.id <= $2::bigint AND ($3::text[] IS NULL OR t.namespace = ANY($3::text[]))
) missed ORDER BY eid LIMIT $4`;

interface MissedRow {
  event_id: string;
  type: IssueChange['type'];
  id: string;
  namespace: string;
  state: IssueChange['state'];
  severity: IssueChange['severity'];
  issue_type: IssueChange['issueType'];
}

export async function startChangeFeed(
  db: Database,
  onBadPayload: (payload: string) => void,
): Promise<ChangeFeed> {
  /** The listeners of `channel`, each told what `parse` makes of a notification. */
  const fanOut = async <T>(channel: string, parse: (payload: string) => T | undefined) => {
    const each = new Set<(value: T) => void>();
    const stop = await db.listen(channel, (payload) => {
      // Heavy ingest produces a notification per report; with nobody streaming, skip them.
      if (each.size === 0) return;
      const value = parse(payload);
      if (!value) {
        onBadPayload(payload);
        return;
      }
      for (const listener of each) listener(value);
    });
    return { listeners: each, stop };
  };
  const { listeners, stop } = await fanOut(CHANGE_CHANNEL, parsePayload);
  const { listeners: groupListeners, stop: stopGroups } = await fanOut(
    GROUP_CHANNEL,
    parseGroupChange,
  );
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribeGroups(listener) {
      groupListeners.add(listener);
      return () => groupListeners.delete(listener);
    },
    async since(after, namespaces) {
      const bounds = await db.query<{ head: string; oldest: string | null }>(BOUNDS);
      const { head, oldest } = bounds.rows[0] ?? { head: '0', oldest: null };
      if (after === undefined) return { kind: 'missed', head, events: [] };
      const lost = whyLost(after, BigInt(head), oldest === null ? undefined : BigInt(oldest));
      if (lost) return { kind: 'lost', head, reason: lost };
      const result = await db.query<MissedRow>(MISSED, [
        after.toString(),
        head,
        namespaces ? [...namespaces] : null,
        REPLAY_LIMIT + 1,
      ]);
      if (result.rows.length > REPLAY_LIMIT) {
        return { kind: 'lost', head, reason: `more than ${REPLAY_LIMIT} changes were missed` };
      }
      return { kind: 'missed', head, events: result.rows.map(fromRow) };
    },
    async close() {
      listeners.clear();
      groupListeners.clear();
      await stop();
      await stopGroups();
    },
  };
}

/** Why the changes after `after` cannot be replayed, if they cannot. */
function whyLost(after: bigint, head: bigint, oldest: bigint | undefined): string | undefined {
  if (after > head) return 'the event id is not one this server handed out';
  if (head - after > REPLAY_SPAN) return `more than ${REPLAY_SPAN} changes were missed`;
  // Ids after `after` were handed out but none is kept from before `oldest`: pruned.
  const firstKept = oldest ?? head + 1n;
  if (after + 1n < firstKept && after < head) return 'the missed changes are past retention';
  return undefined;
}

function fromRow(row: MissedRow): FeedEvent {
  return {
    eventId: row.event_id,
    change: {
      type: row.type,
      id: row.id,
      namespace: row.namespace,
      state: row.state,
      severity: row.severity,
      issueType: row.issue_type,
    },
  };
}

/** The trigger's JSON, split into the change clients see and its event id. */
function parsePayload(payload: string): FeedEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { eventId, ...change } = parsed as IssueChange & { eventId?: unknown };
  return { eventId: typeof eventId === 'string' ? eventId : undefined, change };
}

function parseGroupChange(payload: string): GroupChange | undefined {
  try {
    const parsed: unknown = JSON.parse(payload);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const change = parsed as Partial<GroupChange>;
    return typeof change.id === 'string' && typeof change.namespace === 'string'
      ? (parsed as GroupChange)
      : undefined;
  } catch {
    return undefined;
  }
}
