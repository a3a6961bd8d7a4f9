/**
 * Turns a list/count filter into a parameterized WHERE clause. Values are always bound
 * parameters; only fixed column names are written into the SQL text.
 */
import type { IssueState, IssueType, Severity } from '../domain/issue.js';
import type { LabelRequirement } from '../domain/label-selector.js';

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
   * True when the SQL text is one of a bounded set of shapes (label equalities and at
   * most one `in`), so the statement may be kept prepared.
   */
  bounded: boolean;
}

export function buildWhere(filter: IssueFilter): Where {
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
  if (filter.search) {
    const pattern = bind(`%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    const condition = `(title ILIKE ${pattern} OR description ILIKE ${pattern})`;
    (filter.search.length < TRIGRAM ? perRow : conditions).push(condition);
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
  const others = labels.filter((requirement) => requirement.op !== 'eq');
  for (const requirement of others) {
    const condition = labelCondition(requirement, bind);
    (NEGATIVE.has(requirement.op) ? perRow : conditions).push(condition);
  }
  // One `in` beside the equalities still leaves a small set of texts (one parameter
  // holds its values), so such selectors are prepared too.
  const prepared = others.length === 0 || (others.length === 1 && others[0]?.op === 'in');
  const all = [...conditions, ...perRow];
  return {
    sql: all.length ? `WHERE ${all.join(' AND ')}` : '',
    params,
    indexedSql: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '',
    perRowSql: perRow.length ? perRow.join(' AND ') : 'TRUE',
    indexedCounted: coveredByCounts({
      ...filter,
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
    !filter.resourceType &&
    !filter.resourceName &&
    !filter.search &&
    (filter.labels === undefined || filter.labels.length === 0)
  );
}

/** The shortest search a trigram index can answer (three characters make one trigram). */
const TRIGRAM = 3;

/** Label requirements no index answers: they hold for rows the index does not list. */
const NEGATIVE = new Set<LabelRequirement['op']>(['neq', 'notin', 'absent']);

function labelCondition(requirement: LabelRequirement, bind: (value: unknown) => string): string {
  switch (requirement.op) {
    case 'eq':
      return `labels @> jsonb_build_object(${bind(requirement.key)}::text, ${bind(requirement.value)}::text)`;
    case 'neq':
      return `NOT labels @> jsonb_build_object(${bind(requirement.key)}::text, ${bind(requirement.value)}::text)`;
    case 'in':
      // Containment of any one of the pairs (label values are strings, so this is the
      // same test as `labels ->> key = ANY(values)`), which the labels GIN index answers.
      return `labels @> ANY(${bind(requirement.values.map((value) => JSON.stringify({ [requirement.key]: value })))}::jsonb[])`;
    case 'notin':
      return `NOT coalesce((labels ->> ${bind(requirement.key)}::text) = ANY(${bind(requirement.values)}::text[]), false)`;
    case 'exists':
      return `labels ? ${bind(requirement.key)}::text`;
    case 'absent':
      return `NOT labels ? ${bind(requirement.key)}::text`;
  }
}
