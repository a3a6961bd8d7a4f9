/**
 * The write side of a report: the one-row upsert and its multi-row twin, which writes a
 * whole group of reports (src/store/group-commit.ts) in one statement and so in one
 * transaction and one commit. Both are generated from the same conflict rules, so a
 * report has the same effect whichever of them writes it (docs/decisions/0031-group-commit.md).
 *
 * A group never holds two reports of one identity: `INSERT … ON CONFLICT DO UPDATE` may
 * not touch a row twice, and PostgreSQL folds identical notifications within one
 * transaction, so two changes of one issue in one commit would reach live streams as one.
 */
import { SEVERITIES, type IssueReport } from '../domain/issue.js';
import type { Queryable } from './database.js';
import { issueColumns, storedLinks, toIssue, type IssueRow } from './issue-rows.js';
import type { Issue } from '../domain/issue.js';
import { groupKeys, type StoredSignature } from './stored-signature.js';

/** `unchanged`: the report's run was already recorded on the issue; nothing was written. */
export type ReportOutcome = 'created' | 'reported' | 'reopened' | 'resolved' | 'unchanged';

export interface Reported {
  issue: Issue;
  outcome: ReportOutcome;
}

const SUMMARY_LIMIT = 2000;

/**
 * What an upsert does to an existing issue of the same identity, as `column = expression`
 * over the locked row `cur` and the proposed row `EXCLUDED`. `newer`: the report is at
 * least as recent as the observation that decided the state; `linksGiven`: the report
 * carried links (none given keeps the stored ones).
 */
function conflictUpdate(newer: string, linksGiven: string): [string, string][] {
  return [
    ['title', `CASE WHEN ${newer} THEN EXCLUDED.title ELSE cur.title END`],
    ['description', `CASE WHEN ${newer} THEN EXCLUDED.description ELSE cur.description END`],
    ['severity', `CASE WHEN ${newer} THEN EXCLUDED.severity ELSE cur.severity END`],
    ['links', `CASE WHEN ${linksGiven} AND ${newer} THEN EXCLUDED.links ELSE cur.links END`],
    [
      'labels',
      `CASE WHEN ${newer} THEN cur.labels || EXCLUDED.labels ELSE EXCLUDED.labels || cur.labels END`,
    ],
    ['occurrences', 'cur.occurrences + 1'],
    ['last_seen_at', 'now()'],
    ['updated_at', 'now()'],
    [
      'detected_at',
      `CASE WHEN ${newer} AND cur.state = 'RESOLVED' AND EXCLUDED.state = 'ACTIVE' THEN now()
      ELSE cur.detected_at END`,
    ],
    [
      'last_event',
      `CASE
      WHEN NOT ${newer} THEN 'reported'
      WHEN EXCLUDED.state = 'RESOLVED' THEN 'resolved'
      WHEN cur.state = 'RESOLVED' THEN 'reopened'
      ELSE 'reported' END`,
    ],
    [
      'resolved_at',
      `CASE
      WHEN NOT ${newer} THEN cur.resolved_at
      WHEN EXCLUDED.state = 'ACTIVE' THEN NULL
      ELSE coalesce(cur.resolved_at, now()) END`,
    ],
    ['state_at', `CASE WHEN ${newer} THEN EXCLUDED.state_at ELSE cur.state_at END`],
    ['state', `CASE WHEN ${newer} THEN EXCLUDED.state ELSE cur.state END`],
    ['due_at', `CASE WHEN ${newer} THEN EXCLUDED.due_at ELSE cur.due_at END`],
    ['migration', `CASE WHEN ${newer} THEN EXCLUDED.migration ELSE cur.migration END`],
    ['severity_was', 'cur.severity'],
    [
      'acknowledgement',
      `CASE WHEN ${newer} AND ((cur.state = 'RESOLVED' AND EXCLUDED.state = 'ACTIVE')
        OR ${rank('EXCLUDED.severity')} > ${rank('cur.severity')})
      THEN NULL ELSE cur.acknowledgement END`,
    ],
    // The signature of the latest failure report that set the text; a resolution has none
    // and keeps the last one, so a regression is grouped by what failed before.
    ...SIGNATURE_COLUMNS.map((column): [string, string] => [
      column,
      `CASE WHEN ${newer} AND EXCLUDED.signature_hash IS NOT NULL THEN EXCLUDED.${column} ELSE cur.${column} END`,
    ]),
  ];
}

/** A severity's rank, higher is worse, so that a raise clears an acknowledgement. */
const rank = (severity: string) =>
  `array_position(ARRAY[${SEVERITIES.map((s) => `'${s}'`).join(', ')}], ${severity})`;

const SIGNATURE_COLUMNS = [
  'signature_hash',
  'signature_key',
  'failure_class',
  'cves',
  'dependency',
];

const IDENTITY = 'namespace, scope_type, scope_name, scope_namespace, issue_type';
const INSERTED = `namespace, issue_type, scope_type, scope_name, scope_namespace, title, description,
                             severity, state, links, labels, resolved_at, state_at, due_at, migration,
                             ${SIGNATURE_COLUMNS.join(', ')}`;

/**
 * The text of a report's timeline event: its summary ($13 or the batch's), led by the
 * change of severity when the report made one. `severity_was` is the severity of the
 * locked row before the upsert (NULL on a new issue), so the note is exact under
 * concurrent reports too.
 */
const eventSummary = (row: string, summary: string) =>
  `CASE WHEN ${row}.severity_was <> ${row}.severity
    THEN 'severity ' || ${row}.severity_was || ' → ' || ${row}.severity || ': ' || ${summary}
    ELSE ${summary} END`;

/**
 * The report upsert. On conflict with an existing issue of the same identity it counts
 * one more occurrence and records which of "reported", "reopened" or "resolved" happened
 * in `last_event`, read from the locked row itself. A report at least as recent as the
 * observation that decided the state refreshes the text and sets the state (reopening a
 * resolved issue: a regression, which also clears an acknowledgement, as a raise of
 * severity does); an older one is only counted. A run already recorded
 * on the issue ($14) changes nothing: the WHERE skips the update and no row comes back.
 */
export const REPORT_UPSERT = `
WITH up AS (
  INSERT INTO issues AS cur (${INSERTED})
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $12::jsonb, CASE WHEN $9 = 'RESOLVED' THEN now() END,
          coalesce($15::timestamptz, now()), $16::timestamptz, $17::jsonb,
          $18::text, $19::text, $20::text, $21::text[], $22::text)
  ON CONFLICT (${IDENTITY}) DO UPDATE SET
    ${conflictUpdate('($15::timestamptz IS NULL OR $15::timestamptz >= cur.state_at)', '$11')
      .map(([column, value]) => `${column} = ${value}`)
      .join(',\n    ')}
  WHERE $14::text IS NULL
    OR NOT EXISTS (SELECT 1 FROM issue_events e WHERE e.issue_id = cur.id AND e.run_id = $14::text)
  RETURNING *
), event AS (
  INSERT INTO issue_events (issue_id, kind, summary, run_id, signature_hash)
  SELECT id, last_event, ${eventSummary('up', '$13::text')}, $14, $18::text FROM up
)
SELECT ${issueColumns('up')}, up.last_event FROM up`;

/** The fields of one report in the JSON array the batch upsert reads ($1). */
const BATCH_FIELDS = `ord int, namespace text, issue_type text, scope_type text, scope_name text,
    scope_namespace text, title text, description text, severity text, state text, links text,
    links_given boolean, labels text, summary text, run_id text, occurred_at timestamptz,
    due_at timestamptz, migration text, signature_hash text, signature_key text,
    failure_class text, cves text[], dependency text, group_keys text[]`;

const conflictColumns = conflictUpdate('n.newer', 'n.links_given');

/**
 * REPORT_UPSERT for many reports of distinct identities: the same conflict rules, with
 * the per-report values that are not columns (occurredAt, whether links were given, the
 * run id) looked up once per conflicting row from the batch by the proposed row's id.
 * Rows are inserted in identity order, the order of the unique index, so two groups (or
 * a group and a scope's resolution) lock shared rows in the same order. Each returned
 * row carries the `ord` of its report; a report whose run was already recorded returns
 * no row, as above. `more` adds steps over `done` (the written rows with their report's
 * fields) and columns to the answer: root-cause groups join in the same statement
 * (src/store/root-cause-join.ts).
 */
export const batchUpsert = (
  more: { steps: string; columns: string } = { steps: '', columns: '' },
) => `
WITH batch AS MATERIALIZED (
  SELECT gen_random_uuid() AS id, b.* FROM jsonb_to_recordset($1::jsonb) AS b(${BATCH_FIELDS})
), up AS (
  INSERT INTO issues AS cur (id, ${INSERTED})
  SELECT id, namespace, issue_type, scope_type, scope_name, scope_namespace, title, description,
         severity, state, links::jsonb, labels::jsonb, CASE WHEN state = 'RESOLVED' THEN now() END,
         coalesce(occurred_at, now()), due_at, migration::jsonb, ${SIGNATURE_COLUMNS.join(', ')}
  FROM batch ORDER BY ${IDENTITY}
  ON CONFLICT (${IDENTITY}) DO UPDATE SET
    (${conflictColumns.map(([column]) => column).join(', ')}) = (
      SELECT ${conflictColumns.map(([, value]) => value).join(',\n      ')}
      FROM (SELECT b.occurred_at IS NULL OR b.occurred_at >= cur.state_at AS newer, b.links_given
            FROM batch b WHERE b.id = EXCLUDED.id) n)
  WHERE NOT EXISTS (
    SELECT 1 FROM batch b JOIN issue_events e ON e.run_id = b.run_id
    WHERE b.id = EXCLUDED.id AND e.issue_id = cur.id)
  RETURNING *
), done AS (
  SELECT b.ord, b.summary, b.run_id, b.signature_hash AS reported_signature, b.group_keys, up.*
  FROM up JOIN batch b USING (${IDENTITY})
), event AS (
  INSERT INTO issue_events (issue_id, kind, summary, run_id, signature_hash)
  SELECT id, last_event, ${eventSummary('done', 'done.summary')}, run_id, reported_signature
  FROM done ORDER BY ord
)${more.steps}
SELECT done.ord, ${issueColumns('done')}, done.last_event${more.columns} FROM done`;

export const REPORT_BATCH_UPSERT = batchUpsert();

/**
 * The parameters of REPORT_UPSERT for one report and its signature (exported for the
 * ingest benchmark's baseline).
 */
export function reportParams(
  report: IssueReport,
  signature: StoredSignature | null = null,
): unknown[] {
  const state = report.state ?? 'ACTIVE';
  return [
    report.namespace,
    report.issueType,
    report.scope.resourceType,
    report.scope.resourceName,
    report.scope.resourceNamespace,
    report.title,
    report.description,
    report.severity,
    state,
    JSON.stringify(
      storedLinks(
        [
          report.namespace,
          report.issueType,
          report.scope.resourceType,
          report.scope.resourceName,
          report.scope.resourceNamespace,
        ].join('\n'),
        report.links ?? [],
      ),
    ),
    report.links !== undefined,
    JSON.stringify(report.labels ?? {}),
    summarize(report.description),
    report.runId ?? null,
    report.occurredAt ?? null,
    report.dueAt ?? null,
    report.migration ? JSON.stringify(report.migration) : null,
    signature?.hash ?? null,
    signature?.key ?? null,
    signature?.failureClass ?? null,
    signature?.cves.length ? signature.cves : null,
    signature?.dependency ?? null,
  ];
}

/** The batch row of a report: exactly REPORT_UPSERT's parameters, named. */
function batchRow(
  report: IssueReport,
  signature: StoredSignature | null,
  ord: number,
): Record<string, unknown> {
  const p = reportParams(report, signature);
  return {
    ord,
    namespace: p[0],
    issue_type: p[1],
    scope_type: p[2],
    scope_name: p[3],
    scope_namespace: p[4],
    title: p[5],
    description: p[6],
    severity: p[7],
    state: p[8],
    links: p[9],
    links_given: p[10],
    labels: p[11],
    summary: p[12],
    run_id: p[13],
    occurred_at: p[14],
    due_at: p[15],
    migration: p[16],
    signature_hash: p[17],
    signature_key: p[18],
    failure_class: p[19],
    cves: p[20],
    dependency: p[21],
    group_keys: signature ? groupKeys(signature) : null,
  };
}

/** One string per identity (the unique index's columns); a group holds each at most once. */
export function identityKey(report: IssueReport): string {
  return JSON.stringify([
    report.namespace,
    report.scope.resourceType,
    report.scope.resourceName,
    report.scope.resourceNamespace,
    report.issueType,
  ]);
}

const GET_BY_IDENTITY = `SELECT ${issueColumns('i')} FROM issues i
  WHERE i.namespace = $1 AND i.issue_type = $2 AND i.scope_type = $3 AND i.scope_name = $4 AND i.scope_namespace = $5`;

/** The issue as it is, for a report whose run was already recorded. */
async function unchanged(db: Queryable, report: IssueReport): Promise<Reported> {
  const found = await db.query<IssueRow>(GET_BY_IDENTITY, reportParams(report).slice(0, 5));
  const row = found.rows[0];
  if (!row) throw new Error('a report wrote nothing and its issue is gone');
  return { issue: toIssue(row), outcome: 'unchanged' };
}

/** Writes one report in its own statement (and transaction). */
export async function writeReport(
  db: Queryable,
  report: IssueReport,
  signature: StoredSignature | null = null,
): Promise<Reported> {
  const result = await db.query<IssueRow & { last_event: ReportOutcome }>(
    REPORT_UPSERT,
    reportParams(report, signature),
    'kite_report',
  );
  const row = result.rows[0];
  if (row) return { issue: toIssue(row), outcome: row.last_event };
  return unchanged(db, report);
}

/**
 * Writes reports of distinct identities in one statement. Rejects when the statement
 * fails (then nothing was written); otherwise resolves to one answer per report, in
 * order, each settling on its own (a report whose run was already recorded is looked
 * up after the commit, as writeReport does).
 */
export async function writeReports(
  db: Queryable,
  reports: IssueReport[],
): Promise<Promise<Reported>[]> {
  return (
    await writeBatch(db, reports, [], { sql: REPORT_BATCH_UPSERT, name: 'kite_report_batch' })
  ).answers;
}

/** writeReports with signatures and a statement from `batchUpsert`; also its rows. */
export async function writeBatch<Row>(
  db: Queryable,
  reports: IssueReport[],
  signatures: (StoredSignature | null)[],
  statement: { sql: string; name: string; params?: unknown[] },
): Promise<{ answers: Promise<Reported>[]; rows: (IssueRow & Row & { ord: number })[] }> {
  const result = await db.query<IssueRow & Row & { ord: number; last_event: ReportOutcome }>(
    statement.sql,
    [
      JSON.stringify(reports.map((report, ord) => batchRow(report, signatures[ord] ?? null, ord))),
      ...(statement.params ?? []),
    ],
    statement.name,
  );
  const written = new Map(result.rows.map((row) => [row.ord, row]));
  const answers = reports.map((report, ord) => {
    const row = written.get(ord);
    return row
      ? Promise.resolve({ issue: toIssue(row), outcome: row.last_event })
      : unchanged(db, report);
  });
  return { answers, rows: result.rows };
}

function summarize(description: string): string {
  return description.length > SUMMARY_LIMIT
    ? `${description.slice(0, SUMMARY_LIMIT)}…`
    : description;
}
