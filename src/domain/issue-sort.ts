/**
 * The orders `GET /api/v1/issues` lists issues in (`sort`, kubectl/REST style: a field,
 * `-` for descending), each served along an index (docs/decisions/0049-issue-list-sorts.md).
 * Every order ends with the issue id, so it is total and keyset pages are exact.
 */
import type { Severity } from './issue.js';

export const ISSUE_SORTS = ['-detectedAt', 'detectedAt', '-severity'] as const;
export type IssueSort = (typeof ISSUE_SORTS)[number];

/** Newest detected first: the order of every list before `sort` existed. */
export const DEFAULT_SORT: IssueSort = '-detectedAt';

/** `-severity`: the worst first; within a severity, newest detected first. */
export const WORST_FIRST: readonly Severity[] = ['critical', 'major', 'minor', 'info'];
