/**
 * Silences (docs/silences.md): their writes and reads, and the one SQL test of "this
 * silence matches this issue" that marks issues, mutes notifications and counts
 * silenced issues alike. Whether a silence is active is read from the clock at each
 * query (starts_at <= now() < ends_at), so expiry needs no job and no write
 * (docs/decisions/0055-silenced-computed-at-read.md).
 */
import { ConflictError } from '../domain/errors.js';
import type { Issue } from '../domain/issue.js';
import {
  MAX_LIVE_SILENCES,
  type Silence,
  type SilenceInput,
  type SilenceState,
} from '../domain/silence.js';
import type { Database, Queryable } from './database.js';
import type { Page } from './issue-reads.js';
import { planWhere, type IssueFilter } from './issue-filter.js';
import { TOTAL_BOUND } from './issue-totals.js';

/** Silence `s` is in force now. */
const ACTIVE = 's.starts_at <= now() AND s.ends_at > now()';

/** A silence's matcher values as SQL: its columns, or bound parameters. */
interface MatcherSql {
  namespace: string;
  severity: string;
  issueType: string;
  scopeType: string;
  scopeName: string;
  labels: string;
}

/** The one test of "this silence matches issue `i`"; a NULL matcher matches anything. */
const matches = (s: MatcherSql) => `${s.namespace} = i.namespace
  AND (${s.severity} IS NULL OR ${s.severity} = i.severity)
  AND (${s.issueType} IS NULL OR ${s.issueType} = i.issue_type)
  AND (${s.scopeType} IS NULL OR ${s.scopeType} = i.scope_type)
  AND (${s.scopeName} IS NULL OR ${s.scopeName} = i.scope_name)
  AND i.labels @> ${s.labels}`;

/** Silence `s` matches issue `i`, over the columns of `s`. */
const MATCHES = matches({
  namespace: 's.namespace',
  severity: 's.severity',
  issueType: 's.issue_type',
  scopeType: 's.scope_type',
  scopeName: 's.scope_name',
  labels: 's.labels',
});

const rfc3339 = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const COLUMNS = `s.id, s.namespace, s.severity, s.issue_type, s.scope_type, s.scope_name, s.labels,
  ${rfc3339('s.starts_at')} AS starts_at, ${rfc3339('s.ends_at')} AS ends_at,
  ${rfc3339('s.created_at')} AS created_at, s.created_by, s.comment, s.expired_by,
  CASE WHEN s.ends_at <= now() THEN 'expired' WHEN s.starts_at > now() THEN 'pending'
    ELSE 'active' END AS state`;

/** The condition on `s` of each state, for listing. */
const STATE_CONDITION: Readonly<Record<SilenceState, string>> = {
  active: ACTIVE,
  pending: 's.starts_at > now() AND s.ends_at > now()',
  expired: 's.ends_at <= now()',
};

interface SilenceRow {
  id: string;
  namespace: string;
  severity: Silence['matchers']['severity'] | null;
  issue_type: Silence['matchers']['issueType'] | null;
  scope_type: string | null;
  scope_name: string | null;
  labels: Record<string, string>;
  starts_at: string;
  ends_at: string;
  created_at: string;
  created_by: string;
  comment: string;
  expired_by: string | null;
  state: SilenceState;
}

function toSilence(row: SilenceRow): Silence {
  const matchers: Silence['matchers'] = {};
  if (row.severity !== null) matchers.severity = row.severity;
  if (row.issue_type !== null) matchers.issueType = row.issue_type;
  if (row.scope_type !== null) matchers.resourceType = row.scope_type;
  if (row.scope_name !== null) matchers.resourceName = row.scope_name;
  if (Object.keys(row.labels).length > 0) matchers.labels = row.labels;
  return {
    id: row.id,
    namespace: row.namespace,
    matchers,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    state: row.state,
    createdBy: row.created_by,
    createdAt: row.created_at,
    comment: row.comment,
    ...(row.expired_by !== null ? { expiredBy: row.expired_by } : {}),
  };
}

export interface SilenceQuery {
  /** undefined: every namespace. */
  namespaces: string[] | undefined;
  state?: SilenceState;
  limit: number;
  offset: number;
}

export interface SilenceStore {
  /** ConflictError when the namespace already holds MAX_LIVE_SILENCES that have not ended. */
  create(input: SilenceInput, createdBy: string): Promise<Silence>;
  list(query: SilenceQuery): Promise<Page<Silence>>;
  get(namespace: string, id: string): Promise<Silence | undefined>;
  /** Ends it now (a pending one never starts); an ended silence is returned unchanged. */
  expire(namespace: string, id: string, by: string): Promise<Silence | undefined>;
  /** Issue id → the active silence muting it, for the issues that one mutes. */
  mutedBy(issueIds: readonly string[]): Promise<Map<string, string>>;
  /** The issues with `silencedBy` set where an active silence matches: one query. */
  mark(issues: Issue[]): Promise<Issue[]>;
  /**
   * How many issues `where` selects are matched by an active silence: counted on the
   * rows of the namespaces that have one, up to TOTAL_BOUND (then `estimate`).
   */
  countSilenced(filter: IssueFilter): Promise<{ silenced: number; estimate: boolean }>;
}

const CREATE = `
INSERT INTO silences (namespace, severity, issue_type, scope_type, scope_name, labels,
                      starts_at, ends_at, created_by, comment)
SELECT $1, $2, $3, $4, $5, $6::jsonb, greatest(coalesce($7::timestamptz, now()), now()),
       $8::timestamptz, $9, $10
WHERE (SELECT count(*) FROM silences WHERE namespace = $1 AND ends_at > now()) < $11
RETURNING id`;

/** Of many matching silences, the one that holds longest names the mute. */
const MUTED_BY = `
SELECT i.id, m.id AS silence FROM issues i
CROSS JOIN LATERAL (SELECT s.id FROM silences s WHERE ${MATCHES} AND ${ACTIVE}
                    ORDER BY s.ends_at DESC, s.id LIMIT 1) m
WHERE i.id = ANY($1::uuid[])`;

const LIVE = `SELECT s.namespace, s.severity, s.issue_type, s.scope_type, s.scope_name, s.labels
  FROM silences s WHERE s.ends_at > now() AND s.starts_at <= now()`;

type LiveRow = Pick<
  SilenceRow,
  'namespace' | 'severity' | 'issue_type' | 'scope_type' | 'scope_name' | 'labels'
>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createSilenceStore(db: Database): SilenceStore {
  const get = async (q: Queryable, namespace: string, id: string) => {
    if (!UUID.test(id)) return undefined;
    const found = await q.query<SilenceRow>(
      `SELECT ${COLUMNS} FROM silences s WHERE s.id = $1 AND s.namespace = $2`,
      [id, namespace],
      'kite_silence_get',
    );
    const row = found.rows[0];
    return row ? toSilence(row) : undefined;
  };

  const mutedBy = async (issueIds: readonly string[]) => {
    const ids = issueIds.filter((id) => UUID.test(id));
    if (ids.length === 0) return new Map<string, string>();
    const result = await db.query<{ id: string; silence: string }>(
      MUTED_BY,
      [ids],
      'kite_silence_muted_by',
    );
    return new Map(result.rows.map((row) => [row.id, row.silence]));
  };

  return {
    async create(input, createdBy) {
      const { matchers } = input;
      const created = await db.query<{ id: string }>(CREATE, [
        input.namespace,
        matchers.severity ?? null,
        matchers.issueType ?? null,
        matchers.resourceType ?? null,
        matchers.resourceName ?? null,
        JSON.stringify(matchers.labels ?? {}),
        input.startsAt ?? null,
        input.endsAt,
        createdBy,
        input.comment,
        MAX_LIVE_SILENCES,
      ]);
      const id = created.rows[0]?.id;
      if (id === undefined)
        throw new ConflictError(
          `Namespace ${input.namespace} already has ${MAX_LIVE_SILENCES} silences that have not ended; expire some first`,
        );
      const silence = await get(db, input.namespace, id);
      if (!silence) throw new Error('a silence just created is gone');
      return silence;
    },

    async list({ namespaces, state, limit, offset }) {
      const conditions = [namespaces ? 's.namespace = ANY($1::text[])' : '$1::text[] IS NULL'];
      if (state) conditions.push(STATE_CONDITION[state]);
      const where = `WHERE ${conditions.join(' AND ')}`;
      const [rows, total] = await Promise.all([
        db.query<SilenceRow>(
          `SELECT ${COLUMNS} FROM silences s ${where}
           ORDER BY s.created_at DESC, s.id LIMIT $2 OFFSET $3`,
          [namespaces ?? null, limit, offset],
        ),
        db.query<{ n: number }>(`SELECT count(*)::int AS n FROM silences s ${where}`, [
          namespaces ?? null,
        ]),
      ]);
      return { data: rows.rows.map(toSilence), total: total.rows[0]?.n ?? 0, limit, offset };
    },

    get: (namespace, id) => get(db, namespace, id),

    async expire(namespace, id, by) {
      if (!UUID.test(id)) return undefined;
      await db.query(
        `UPDATE silences SET ends_at = now(), starts_at = least(starts_at, now()), expired_by = $3
         WHERE id = $1 AND namespace = $2 AND ends_at > now()`,
        [id, namespace, by],
      );
      return get(db, namespace, id);
    },

    mutedBy,

    async mark(issues) {
      if (issues.length === 0) return issues;
      const muted = await mutedBy(issues.map((issue) => issue.id));
      if (muted.size === 0) return issues;
      return issues.map((issue) => {
        const silence = muted.get(issue.id);
        return silence === undefined ? issue : { ...issue, silencedBy: silence };
      });
    },

    async countSilenced(filter) {
      // The few active silences of the namespaces asked about, each written into the
      // count as its own condition with bound values: the planner folds away the matchers
      // a silence leaves empty, and the rows read are those of these namespaces only.
      const { namespaces } = filter;
      const live = await db.query<LiveRow>(
        namespaces ? `${LIVE} AND s.namespace = ANY($1::text[])` : LIVE,
        namespaces ? [namespaces] : [],
      );
      if (live.rows.length === 0) return { silenced: 0, estimate: false };
      const where = await planWhere(db, filter);
      const params = [...where.params];
      const bind = (value: unknown, type: string) => {
        params.push(value);
        return `$${params.length}::${type}`;
      };
      const any = live.rows.map(
        (row) =>
          `(${matches({
            namespace: bind(row.namespace, 'text'),
            severity: bind(row.severity, 'text'),
            issueType: bind(row.issue_type, 'text'),
            scopeType: bind(row.scope_type, 'text'),
            scopeName: bind(row.scope_name, 'text'),
            labels: bind(JSON.stringify(row.labels), 'jsonb'),
          })})`,
      );
      const inNamespaces = bind([...new Set(live.rows.map((row) => row.namespace))], 'text[]');
      const sql = `SELECT count(*)::int AS n FROM (
          SELECT 1 FROM issues i ${where.sql ? `${where.sql} AND` : 'WHERE'}
            i.namespace = ANY(${inNamespaces}) AND (${any.join(' OR ')})
          LIMIT ${TOTAL_BOUND + 1}) m`;
      const result = await db.query<{ n: number }>(sql, params);
      const n = result.rows[0]?.n ?? 0;
      return n > TOTAL_BOUND
        ? { silenced: TOTAL_BOUND, estimate: true }
        : { silenced: n, estimate: false };
    },
  };
}
