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
    conditions.push(`(title ILIKE ${pattern} OR description ILIKE ${pattern})`);
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
  for (const requirement of others) conditions.push(labelCondition(requirement, bind));
  // One `in` beside the equalities still leaves a small set of texts (one parameter
  // holds its values), so such selectors are prepared too.
  const prepared = others.length === 0 || (others.length === 1 && others[0]?.op === 'in');
  return {
    sql: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '',
    params,
    bounded: prepared,
  };
}

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
