/**
 * Finding root-cause groups as reports arrive (docs/decisions/0058-groups-in-the-report-transaction.md).
 * A failure report joins, in its own upsert statement, the group it shares a key with
 * (signature, then CVEs, then dependency) if that group's last join is within the window
 * and the issue was never split from it. A report that found none then tries, in a short
 * transaction right after, to form a group with one active, ungrouped issue that shares a
 * key and was seen within the window (JOIN_GROUP, which also joins a group formed
 * meanwhile). An issue already in a group stays there; a state change reaches the group
 * through the triggers of migration 14.
 *
 * Forming takes a transaction-scoped advisory lock per key first (in lock-id order), so
 * concurrent reports of one cause (on several connections or replicas) never both form a
 * group nor both claim the same peer: the second waits, then sees the first's group.
 */
import type { IssueReport } from '../domain/issue.js';
import type { Database, Queryable } from './database.js';
import type { GroupWriter } from './group-commit.js';
import { isDeadlock } from './pg-errors.js';
import {
  batchUpsert,
  identityKey,
  writeBatch,
  writeReport,
  writeReports,
  type Reported,
} from './report-upsert.js';
import { groupKeys, storedSignature, type StoredSignature } from './stored-signature.js';

export interface RootCauseOptions {
  /** Whether reports get a signature and are grouped (KITE_ROOT_CAUSE_GROUPS). */
  enabled: boolean;
  /** A group takes new members this long after its last join (KITE_ROOT_CAUSE_WINDOW). */
  windowMs: number;
}

/** How often a grouped report statement PostgreSQL aborted for a deadlock is run. */
const DEADLOCK_ATTEMPTS = 4;

/** An arbitrary constant mixed into the lock ids of group keys (4711014: migration 14). */
const LOCK_SEED = 4711014;

const LOCK_KEYS = `SELECT count(pg_advisory_xact_lock(k)) AS locked FROM (
  SELECT DISTINCT hashtextextended(key, ${LOCK_SEED}) AS k FROM unnest($1::text[]) AS key ORDER BY 1
) keys`;

const MEMBER_REASON = (key: string) =>
  `CASE WHEN split_part(${key}, ':', 1) = 'signature' THEN $5::text
        ELSE substr(${key}, strpos(${key}, ':') + 1) END`;

/** Peers: active, ungrouped, seen within the window, not the issue itself. */
const PEER = `i.state = 'ACTIVE' AND i.id <> $1 AND i.last_seen_at >= (SELECT t FROM since)
  AND NOT EXISTS (SELECT 1 FROM root_cause_members m WHERE m.issue_id = i.id)`;

/**
 * $1 issue id, $2 its namespace, $3 signature hash, $4 CVEs, $5 signature key, $6 its
 * dependency, $7 its group keys, $8 the window in seconds.
 */
export const JOIN_GROUP = `
WITH since AS (
  SELECT now() - make_interval(secs => $8::double precision) AS t
), already AS (
  SELECT 1 FROM root_cause_members WHERE issue_id = $1
), joinable AS (
  SELECT g.id AS group_id, k.key FROM root_cause_keys k JOIN root_cause_groups g ON g.id = k.group_id
  WHERE k.key = ANY($7::text[]) AND g.last_joined_at >= (SELECT t FROM since)
    AND NOT EXISTS (SELECT 1 FROM already)
    AND NOT EXISTS (SELECT 1 FROM root_cause_splits s WHERE s.group_id = g.id AND s.issue_id = $1)
  ORDER BY array_position($7::text[], k.key), g.last_joined_at DESC, g.id LIMIT 1
), peer AS (
  SELECT p.id, p.namespace, p.key FROM (
    (SELECT i.id, i.namespace, 1 AS n, 'signature:' || $3 AS key FROM issues i
     WHERE i.signature_hash = $3 AND ${PEER} LIMIT 1)
    UNION ALL
    (SELECT c.id, c.namespace, 2, 'cve:' || c.cve FROM unnest($4::text[]) AS cve(cve)
     CROSS JOIN LATERAL (SELECT i.id, i.namespace, cve.cve FROM issues i
                         WHERE i.cves @> ARRAY[cve.cve] AND i.cves IS NOT NULL AND ${PEER} LIMIT 1) c
     LIMIT 1)
    UNION ALL
    (SELECT i.id, i.namespace, 3, 'dependency:' || $6 FROM issues i
     WHERE $6::text IS NOT NULL AND i.dependency = $6 AND ${PEER} LIMIT 1)
  ) p
  WHERE NOT EXISTS (SELECT 1 FROM already) AND NOT EXISTS (SELECT 1 FROM joinable)
  ORDER BY p.n LIMIT 1
), formed AS (
  INSERT INTO root_cause_groups (first_seen_at) SELECT now() FROM peer RETURNING id
), formed_key AS (
  INSERT INTO root_cause_keys (key, group_id) SELECT peer.key, formed.id FROM peer, formed
), target AS (
  SELECT group_id, key FROM joinable
  UNION ALL SELECT formed.id, peer.key FROM formed, peer
), joined AS (
  INSERT INTO root_cause_members (issue_id, group_id, namespace, active, reason_kind, reason)
  SELECT $1, target.group_id, $2, true, split_part(target.key, ':', 1), ${MEMBER_REASON('target.key')}
  FROM target
  UNION ALL
  SELECT peer.id, formed.id, peer.namespace, true, split_part(peer.key, ':', 1), ${MEMBER_REASON('peer.key')}
  FROM peer, formed
)
SELECT (SELECT group_id FROM target) AS group_id`;

async function lockKeys(tx: Queryable, signatures: StoredSignature[]): Promise<void> {
  const keys = signatures.flatMap(groupKeys);
  await tx.query(LOCK_KEYS, [keys], 'kite_group_locks');
}

/**
 * The batch upsert that also joins groups: each written issue that is active, carries
 * group keys and is in no group joins the existing group JOIN_GROUP would find for it, in
 * the same statement. `forming` marks those that found none: only they take JOIN_GROUP
 * afterwards (in steady state, few). $2: the window in seconds.
 */
export const GROUPED_BATCH_UPSERT = batchUpsert({
  steps: `, cand AS (
  SELECT done.ord, done.id AS issue_id, done.namespace, done.signature_key, j.group_id, j.key
  FROM done CROSS JOIN LATERAL (
    SELECT g.id AS group_id, k.key FROM root_cause_keys k JOIN root_cause_groups g ON g.id = k.group_id
    WHERE k.key = ANY(done.group_keys)
      AND g.last_joined_at >= now() - make_interval(secs => $2::double precision)
      AND NOT EXISTS (SELECT 1 FROM root_cause_splits s WHERE s.group_id = g.id AND s.issue_id = done.id)
    ORDER BY array_position(done.group_keys, k.key), g.last_joined_at DESC, g.id LIMIT 1
  ) j
  WHERE done.state = 'ACTIVE'
    AND NOT EXISTS (SELECT 1 FROM root_cause_members m WHERE m.issue_id = done.id)
), joined AS (
  INSERT INTO root_cause_members (issue_id, group_id, namespace, active, reason_kind, reason)
  SELECT issue_id, group_id, namespace, true, split_part(key, ':', 1),
    CASE WHEN split_part(key, ':', 1) = 'signature' THEN signature_key
         ELSE substr(key, strpos(key, ':') + 1) END
  FROM cand ORDER BY group_id, issue_id
)`,
  columns: `,
  (done.state = 'ACTIVE' AND done.group_keys IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM cand c WHERE c.ord = done.ord)
   AND NOT EXISTS (SELECT 1 FROM root_cause_members m WHERE m.issue_id = done.id)) AS forming`,
});

interface Forming {
  reported: Reported;
  signature: StoredSignature;
}

/**
 * Forms groups for written reports that joined none, in one short transaction under the
 * locks of their keys. If it fails, the reports stay written and ungrouped: the next
 * report of the cause (any issue) forms the group, since an active ungrouped issue is
 * exactly what JOIN_GROUP looks for as a peer.
 */
async function formGroups(db: Database, forming: Forming[], windowMs: number): Promise<void> {
  await db.transaction(async (tx) => {
    await lockKeys(
      tx,
      forming.map(({ signature }) => signature),
    );
    for (const { reported, signature } of forming) {
      await tx.query(
        JOIN_GROUP,
        [
          reported.issue.id,
          reported.issue.namespace,
          signature.hash,
          signature.cves,
          signature.key,
          signature.dependency,
          groupKeys(signature),
          windowMs / 1000,
        ],
        'kite_group_join',
      );
    }
  });
}

/**
 * The group-commit writer of reports: without grouping exactly the one-statement
 * upserts; with it, the grouped batch upsert (one statement, also for one report), then
 * forming groups for the reports that joined none.
 */
export function reportWriter(
  db: Database,
  options: RootCauseOptions,
): GroupWriter<IssueReport, Reported> {
  const write = (reports: IssueReport[], signatures: (StoredSignature | null)[]) =>
    writeBatch<{ forming: boolean }>(db, reports, signatures, {
      sql: GROUPED_BATCH_UPSERT,
      name: 'kite_report_batch_grouped',
      params: [options.windowMs / 1000],
    });
  const grouped = async (reports: IssueReport[]) => {
    const signatures = reports.map(storedSignature);
    // Joining takes the rows of issues and of their groups, which concurrent statements
    // (the reports of a failed group written one by one, another replica) may take in
    // another order; PostgreSQL then aborts one whole statement, which is run again.
    let attempt = 1;
    let written;
    for (;;) {
      try {
        written = await write(reports, signatures);
        break;
      } catch (error) {
        if (!isDeadlock(error) || attempt >= DEADLOCK_ATTEMPTS) throw error;
        attempt += 1;
      }
    }
    const { answers, rows } = written;
    const forming: Forming[] = [];
    for (const row of rows) {
      const signature = signatures[row.ord];
      const answer = answers[row.ord];
      if (row.forming && signature && answer) forming.push({ reported: await answer, signature });
    }
    // Deliberately not failing the reports: they are written (see formGroups).
    if (forming.length > 0) await formGroups(db, forming, options.windowMs).catch(() => undefined);
    return answers;
  };
  return {
    key: identityKey,
    async one(report) {
      if (!options.enabled) return writeReport(db, report);
      const [answer] = await grouped([report]);
      if (!answer) throw new Error('a grouped report had no answer');
      return answer;
    },
    many: (reports) => (options.enabled ? grouped(reports) : writeReports(db, reports)),
  };
}
