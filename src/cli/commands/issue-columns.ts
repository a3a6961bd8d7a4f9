/**
 * How an issue looks in a table: the columns of `kite issues list|get|watch`, `-o name`,
 * and `--sort-by`. A NAMESPACE column leads when the rows may span namespaces, and a
 * CLUSTER column before it when they come from several clusters; DUE shows when a row has
 * a due date (always with `-o wide`).
 */
import type { Issue, IssueEvent } from '../../client/types.js';
import { dueDistance } from '../../domain/due-date.js';
import { renderJsonPath } from '../jsonpath.js';
import { age, SEVERITY_COLOURS, type Column } from '../table.js';

const SEVERITY_RANK: Readonly<Record<string, number>> = {
  info: 0,
  minor: 1,
  major: 2,
  critical: 3,
};

/** "in 5 days", "overdue by 2 days", or "<none>". */
export function dueCell(issue: Pick<Issue, 'dueAt'>, now = Date.now()): string {
  const distance = issue.dueAt ? dueDistance(issue.dueAt, now) : undefined;
  if (!distance) return '<none>';
  return distance.overdue ? `overdue by ${distance.amount}` : `in ${distance.amount}`;
}

const migrationCell = ({ migration }: Pick<Issue, 'migration'>) =>
  !migration ? '<none>' : (migration.url ?? (migration.required ? 'required' : 'not required'));

/** `rows`: DUE is shown outside `-o wide` when one of them has a due date. */
export function issueColumns(withNamespace: boolean, rows: Issue[] = []): Column<Issue>[] {
  const withDue = rows.some((issue) => issue.dueAt);
  const columns: Column<Issue>[] = [
    { header: 'ID', value: (i) => i.id },
    { header: 'SEVERITY', value: (i) => i.severity, colour: (i) => SEVERITY_COLOURS[i.severity] },
    { header: 'TYPE', value: (i) => i.issueType },
    {
      header: 'STATE',
      value: (i) => i.state,
      colour: (i) => (i.state === 'RESOLVED' ? '32' : undefined),
    },
    { header: 'AGE', value: (i) => age(i.detectedAt) },
    {
      header: 'DUE',
      value: (i) => dueCell(i),
      colour: (i) => (i.dueAt && dueDistance(i.dueAt)?.overdue ? '31' : undefined),
      wide: !withDue,
    },
    { header: 'LAST SEEN', value: (i) => age(i.lastSeenAt), wide: true },
    { header: 'OCCURRENCES', value: (i) => String(i.occurrences), wide: true },
    {
      header: 'SCOPE',
      value: (i) => `${i.scope.resourceType}/${i.scope.resourceName}`,
      wide: true,
    },
    { header: 'MIGRATION', value: migrationCell, wide: true },
    { header: 'TITLE', value: (i) => i.title, flex: true },
    {
      header: 'LABELS',
      value: (i) =>
        Object.entries(i.labels)
          .map(([key, value]) => `${key}=${value}`)
          .join(',') || '<none>',
      wide: true,
    },
  ];
  const placed = withNamespace
    ? [{ header: 'NAMESPACE', value: (i: Issue) => i.namespace }, ...columns]
    : columns;
  // A server with member clusters: CLUSTER leads when the rows come from several.
  const clusters = new Set(rows.map((issue) => issue.cluster));
  return clusters.size > 1
    ? [{ header: 'CLUSTER', value: (i: Issue) => i.cluster ?? '' }, ...placed]
    : placed;
}

export const issueName = (issue: { id: string }) => `issue/${issue.id}`;

export const eventColumns: Column<IssueEvent>[] = [
  { header: 'AGE', value: (e) => age(e.at) },
  { header: 'KIND', value: (e) => e.kind },
  { header: 'RUN', value: (e) => e.runId ?? '' },
  { header: 'SUMMARY', value: (e) => e.summary, flex: true },
];

/**
 * Sorts by a field (`severity`, `.lastSeenAt`, `{.scope.resourceName}`): severities by
 * rank, numbers by value, anything else as text (timestamps sort in time order).
 */
export function sortIssues(issues: Issue[], by: string): Issue[] {
  const path = by.startsWith('{') ? by : `{${by.startsWith('.') ? by : `.${by}`}}`;
  const key = (issue: Issue): string | number => {
    const text = renderJsonPath(path, issue);
    if (path === '{.severity}') return SEVERITY_RANK[text] ?? -1;
    return text !== '' && !Number.isNaN(Number(text)) ? Number(text) : text;
  };
  const keyed = issues.map((issue) => ({ issue, key: key(issue) }));
  keyed.sort((a, b) =>
    typeof a.key === 'number' && typeof b.key === 'number'
      ? a.key - b.key
      : String(a.key).localeCompare(String(b.key)),
  );
  return keyed.map((entry) => entry.issue);
}
