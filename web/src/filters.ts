/**
 * The issues list's filters as URL parameters (shareable, kept across reloads) and as
 * the API's query. The URL uses the API's own names, so `issues?severity=major&namespace=a`
 * reads the same in the address bar and in the request. The state defaults to active.
 */
import type { IssueListQuery } from '../../src/client/types.js';
import { ISSUE_TYPES, SEVERITIES, type IssueType, type Severity } from './format.js';

export interface Filters {
  namespace: string[];
  /** On a server with member clusters: only this one (absent: every cluster). */
  cluster?: string;
  severity?: Severity;
  issueType?: IssueType;
  /** `any`: active and resolved. */
  state: 'ACTIVE' | 'RESOLVED' | 'any';
  resourceType?: string;
  resourceName?: string;
  labelSelector?: string;
  search?: string;
  /** The order; absent: newest first (the server's default, not sent). */
  sort?: Sort;
  /** The page: the `next` of the page before; absent: the first. */
  cursor?: string;
  /** Rows grouped by their component or application (the dashboard's own; not sent). */
  group?: Grouping;
}

/** The orders the list offers besides the default, newest first (docs/api.md, `sort`). */
export const SORTS = [
  { value: 'detectedAt', label: 'Oldest first' },
  { value: '-severity', label: 'Worst severity first' },
] as const satisfies readonly { value: NonNullable<IssueListQuery['sort']>; label: string }[];
export type Sort = (typeof SORTS)[number]['value'];

export const GROUPINGS = ['component', 'application'] as const;
export type Grouping = (typeof GROUPINGS)[number];

const TEXT_KEYS = [
  'cluster',
  'resourceType',
  'resourceName',
  'labelSelector',
  'search',
  'cursor',
] as const;

const oneOf = <T extends string>(values: readonly T[], value: string | null): T | undefined =>
  values.find((allowed) => allowed === value);

export function filtersOf(search: URLSearchParams): Filters {
  const filters: Filters = {
    namespace: search.getAll('namespace').filter(Boolean),
    state: oneOf(['ACTIVE', 'RESOLVED', 'any'] as const, search.get('state')) ?? 'ACTIVE',
  };
  const severity = oneOf(SEVERITIES, search.get('severity'));
  if (severity) filters.severity = severity;
  const issueType = oneOf(ISSUE_TYPES, search.get('issueType'));
  if (issueType) filters.issueType = issueType;
  for (const key of TEXT_KEYS) {
    const value = search.get(key);
    if (value) filters[key] = value;
  }
  const sort = oneOf(
    SORTS.map((s) => s.value),
    search.get('sort'),
  );
  if (sort) filters.sort = sort;
  const group = oneOf(GROUPINGS, search.get('group'));
  if (group) filters.group = group;
  return filters;
}

/** The URL query of `filters` ("" when all are defaults). */
export function searchOf(filters: Filters): string {
  const params = new URLSearchParams();
  for (const namespace of filters.namespace) params.append('namespace', namespace);
  if (filters.severity) params.set('severity', filters.severity);
  if (filters.issueType) params.set('issueType', filters.issueType);
  if (filters.state !== 'ACTIVE') params.set('state', filters.state);
  if (filters.sort) params.set('sort', filters.sort);
  for (const key of TEXT_KEYS) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  if (filters.group) params.set('group', filters.group);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export const PAGE_SIZE = 25;

export function queryOf(filters: Filters): IssueListQuery {
  return {
    ...(filters.namespace.length ? { namespace: filters.namespace } : {}),
    ...(filters.cluster ? { cluster: [filters.cluster] } : {}),
    ...(filters.state === 'any' ? {} : { state: filters.state }),
    severity: filters.severity,
    issueType: filters.issueType,
    resourceType: filters.resourceType,
    resourceName: filters.resourceName,
    labelSelector: filters.labelSelector,
    search: filters.search,
    ...(filters.sort ? { sort: filters.sort } : {}),
    cursor: filters.cursor,
    limit: PAGE_SIZE,
  };
}

/** Whether any filter narrows the list beyond the default (active issues everywhere). */
export const isFiltered = (filters: Filters) =>
  searchOf({ ...filters, cursor: undefined, sort: undefined }) !== '';
