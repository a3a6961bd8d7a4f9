/**
 * Turns a list/count filter into a parameterized WHERE clause. Values are always bound
 * parameters; only fixed column names are written into the SQL text.
 */
import type { IssueState, IssueType, Severity } from '../domain/issue.js';
import type { LabelRequirement } from '../domain/label-selector.js';
import type { Queryable } from './database.js';
import { searchWords, wordsCondition } from './search-words.js';

export interface IssueFilter {
  /** Namespaces to include; `undefined` means every namespace. */
  namespaces?: string[];
  severity?: Severity;
  issueType?: IssueType;
  state?: IssueState;
  resourceType?: string;
  resourceName?: string;
  search?: string;
  labels?: LabelRequirement[];
  /** RFC 3339: issues due before it (those without a due date never match). */
  dueBefore?: string;
  /** true: issues with migration information; false: those without. */
  hasMigration?: boolean;
}

export interface Where {
  sql: string;
  params: unknown[];
  /**
   * The same conditions in two parts over the same `params`: those an index (or the
   * counts table) answers, as a WHERE clause, and those only testable row by row
   * (`!=`, `notin`, `!k`, a search too short for trigrams), as one boolean expression
   * (`TRUE` when there are none). Used to bound totals (docs/decisions/0030-counts-table.md).
   */
  indexedSql: string;
  perRowSql: string;
  /** True when the counts table answers `indexedSql` (its conditions are all counted columns). */
  indexedCounted: boolean;
  /**
   * True when the SQL text is one of a bounded set of shapes (any label requirements
   * but more than a few `in`; no search), so the statement may be kept prepared.
   */
  bounded: boolean;
}

/**
 * The WHERE clause of `filter`, with a search narrowed by the words index when the
 * planner expects its words to be rare (search-words.ts).
 */
export async function planWhere(q: Queryable, filter: IssueFilter): Promise<Where> {
  const words = filter.search ? await searchWords(q, filter.search) : undefined;
  return buildWhere(filter, words);
}

/** `searchWords`: a words query (search-words.ts) to narrow the search with. */
export function buildWhere(filter: IssueFilter, searchWords?: string): Where {
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const conditions: string[] = [];
  const perRow: string[] = [];
  if (filter.namespaces) {
    conditions.push(
      filter.namespaces.length === 1
        ? `namespace = ${bind(filter.namespaces[0])}`
        : `namespace = ANY(${bind(filter.namespaces)}::text[])`,
    );
  }
  if (filter.severity) conditions.push(`severity = ${bind(filter.severity)}`);
  if (filter.issueType) conditions.push(`issue_type = ${bind(filter.issueType)}`);
  if (filter.state) conditions.push(`state = ${bind(filter.state)}`);
  if (filter.resourceType) conditions.push(`scope_type = ${bind(filter.resourceType)}`);
  if (filter.resourceName) conditions.push(`scope_name = ${bind(filter.resourceName)}`);
  // Both partial indexes of migration 11 list only issues with a due date (or a
  // migration): few, whatever the table's size. Issues without a migration are most of
  // them, which no index lists usefully: tested row by row, like `!k`.
  if (filter.dueBefore) conditions.push(`due_at < ${bind(filter.dueBefore)}::timestamptz`);
  if (filter.hasMigration === true) conditions.push('migration IS NOT NULL');
  if (filter.hasMigration === false) perRow.push('migration IS NULL');
  if (filter.search) {
    const pattern = bind(`%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    const test = `(title ILIKE ${pattern} OR description ILIKE ${pattern})`;
    if (searchWords !== undefined) {
      // The words index finds the candidates (search-words.ts); `IS TRUE` (the same
      // test) keeps the planner from also reading the trigram indexes for it, whose
      // long posting lists are what the words avoid.
      conditions.push(wordsCondition(bind(searchWords)), `${test} IS TRUE`);
    } else {
      (filter.search.length < TRIGRAM ? perRow : conditions).push(test);
    }
  }
  // Equality requirements become one containment test with one parameter, so the text
  // of the most common selectors (k=v,k2=v2) does not depend on how many there are.
  const labels = filter.labels ?? [];
  const equal = new Map<string, string>();
  let contradictory = false;
  for (const requirement of labels) {
    if (requirement.op !== 'eq') continue;
    const known = equal.get(requirement.key);
    if (known !== undefined && known !== requirement.value) contradictory = true;
    equal.set(requirement.key, requirement.value);
  }
  if (contradictory) conditions.push('FALSE');
  else if (equal.size > 0)
    conditions.push(`labels @> ${bind(JSON.stringify(Object.fromEntries(equal)))}::jsonb`);
  // `k in (a,b)`: containment of any one of the pairs (label values are strings, so
  // this is `labels ->> k = ANY(values)`), which the labels GIN index answers.
  const sets = labels.flatMap((r) => (r.op === 'in' ? [r] : []));
  for (const set of sets) {
    const pairs = set.values.map((value) => pair(set.key, value));
    conditions.push(`labels @> ANY(${bind(pairs)}::jsonb[])`);
  }
  const present = labels.flatMap((r) => (r.op === 'exists' ? [r.key] : []));
  if (present.length > 0) conditions.push(`labels ?& ${bind(present)}::text[]`);
  // No index answers negative requirements (they hold for rows no index lists), so they
  // are tested per row; however many there are, they are two tests with one parameter
  // each: `k!=v` and `k notin (a,b)` hold unless the labels contain one of the pairs
  // (a missing key satisfies both, as in Kubernetes), `!k` unless one of the keys.
  const excluded = labels.flatMap((r) =>
    r.op === 'neq'
      ? [pair(r.key, r.value)]
      : r.op === 'notin'
        ? r.values.map((value) => pair(r.key, value))
        : [],
  );
  if (excluded.length > 0) perRow.push(`NOT labels @> ANY(${bind(excluded)}::jsonb[])`);
  const absent = labels.flatMap((r) => (r.op === 'absent' ? [r.key] : []));
  if (absent.length > 0) perRow.push(`NOT labels ?| ${bind(absent)}::text[]`);
  // The text depends only on which kinds of tests there are and on the number of `in`
  // requirements, so with few of those it comes from a small set and is prepared. A
  // search is planned per call instead: how many issues share its words or trigrams
  // decides the plan, and only its value tells.
  const prepared = sets.length <= MAX_PREPARED_SETS && !filter.search;
  const all = [...conditions, ...perRow];
  return {
    sql: all.length ? `WHERE ${all.join(' AND ')}` : '',
    params,
    indexedSql: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '',
    perRowSql: perRow.length ? perRow.join(' AND ') : 'TRUE',
    indexedCounted: coveredByCounts({
      ...filter,
      hasMigration: filter.hasMigration === true ? true : undefined,
      search: filter.search && filter.search.length < TRIGRAM ? undefined : filter.search,
      labels: labels.filter((requirement) => !NEGATIVE.has(requirement.op)),
    }),
    bounded: prepared,
  };
}

/**
 * True when the counts table answers the filter: it holds counts by namespace, state,
 * severity and type only, so any other condition needs the rows.
 */
export function coveredByCounts(filter: IssueFilter): boolean {
  return (
    !filter.dueBefore &&
    filter.hasMigration === undefined &&
    !filter.resourceType &&
    !filter.resourceName &&
    !filter.search &&
    (filter.labels === undefined || filter.labels.length === 0)
  );
}

/** Selectors with at most this many `in` requirements are prepared. */
const MAX_PREPARED_SETS = 2;

/** The shortest search a trigram index can answer (three characters make one trigram). */
const TRIGRAM = 3;

/** Label requirements no index answers: they hold for rows the index does not list. */
const NEGATIVE = new Set<LabelRequirement['op']>(['neq', 'notin', 'absent']);

const pair = (key: string, value: string) => JSON.stringify({ [key]: value });
