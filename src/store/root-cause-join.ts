/**
 * Finding root-cause groups as reports arrive, in the report's own transaction
 * (docs/decisions/0058-groups-in-the-report-transaction.md): a failure report takes an
 * advisory lock per group key it carries (in one order), writes the issue, then either
 * joins the group it shares a key with (if that group's last join is within the window
 * and the issue was never split from it), or forms a group with one active, ungrouped
 * issue that shares a key and was seen within the window. An issue already in a group
 * stays there; a state change reaches the group through the triggers of migration 14.
 *
 * The locks make "find a peer, then form a group" safe under concurrent reports of one
 * cause (on several connections or replicas): two of them never both see no group, nor
 * both claim the same peer. They are taken before the upsert, so every writer takes
 * advisory locks before row locks, in key order.
 */
import type { IssueReport } from '../domain/issue.js';
import type { Database, Queryable } from './database.js';
import type { GroupWriter } from './group-commit.js';
import { identityKey, writeReport, writeReports, type Reported } from './report-upsert.js';
import { groupKeys, storedSignature, type StoredSignature } from './stored-signature.js';

export interface RootCauseOptions {
  /** Whether reports get a signature and are grouped (KITE_ROOT_CAUSE_GROUPS). */
  enabled: boolean;
  /** A group takes new members this long after its last join (KITE_ROOT_CAUSE_WINDOW). */
  windowMs: number;
}

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
), touched AS (
  UPDATE root_cause_groups SET last_joined_at = now() WHERE id IN (SELECT group_id FROM joinable)
)
SELECT (SELECT group_id FROM target) AS group_id`;

async function lockKeys(tx: Queryable, signatures: (StoredSignature | null)[]): Promise<void> {
  const keys = signatures.flatMap((signature) => (signature ? groupKeys(signature) : []));
  await tx.query(LOCK_KEYS, [keys], 'kite_group_locks');
}

async function joinGroup(
  tx: Queryable,
  reported: Reported,
  signature: StoredSignature,
  windowMs: number,
) {
  if (reported.outcome === 'unchanged' || reported.issue.state !== 'ACTIVE') return;
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

/**
 * The group-commit writer of reports: without grouping (or for reports without a
 * signature) exactly the one-statement upserts; otherwise each group of reports in one
 * transaction: locks, the upsert, the joins.
 */
export function reportWriter(
  db: Database,
  options: RootCauseOptions,
): GroupWriter<IssueReport, Reported> {
  const signaturesOf = (reports: IssueReport[]) =>
    reports.map((report) => (options.enabled ? storedSignature(report) : null));
  return {
    key: identityKey,
    async one(report) {
      const [signature] = signaturesOf([report]);
      if (!signature) return writeReport(db, report);
      return db.transaction(async (tx) => {
        await lockKeys(tx, [signature]);
        const reported = await writeReport(tx, report, signature);
        await joinGroup(tx, reported, signature, options.windowMs);
        return reported;
      });
    },
    async many(reports) {
      const signatures = signaturesOf(reports);
      if (signatures.every((signature) => signature === null)) return writeReports(db, reports);
      const settled = await db.transaction(async (tx) => {
        await lockKeys(tx, signatures);
        // Every answer settles inside the transaction: its connection is gone after it.
        const answers = await Promise.allSettled(await writeReports(tx, reports, signatures));
        for (const [ord, answer] of answers.entries()) {
          const signature = signatures[ord];
          if (answer.status === 'fulfilled' && signature) {
            await joinGroup(tx, answer.value, signature, options.windowMs);
          }
        }
        return answers;
      });
      return settled.map((answer) =>
        answer.status === 'fulfilled'
          ? Promise.resolve(answer.value)
          : // The reason is what the lookup threw, passed on as it is.
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
            Promise.reject(answer.reason),
      );
    },
  };
}
