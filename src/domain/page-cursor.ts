/**
 * Keyset cursors for issue lists (docs/decisions/0029-cursor-pages.md). A cursor names
 * the last issue of a page by its sort key, the id as the tie-breaker, so the next page
 * starts right after it however many issues were inserted in front meanwhile. It is
 * opaque to clients: base64url of `[detectedAt, id]` in the default order (newest
 * first), `[detectedAt, id, sort]` or, by severity, `[detectedAt, id, sort, severity]`
 * in the others (docs/decisions/0049-issue-list-sorts.md), so a cursor is only valid
 * with the sort it was issued for.
 */
import { InputError } from './errors.js';
import { SEVERITIES, type Severity } from './issue.js';
import { DEFAULT_SORT, ISSUE_SORTS, type IssueSort } from './issue-sort.js';

export interface PageKey {
  /** RFC 3339 with PostgreSQL's microseconds, exactly as the issue carries it. */
  detectedAt: string;
  id: string;
  /** The issue's severity: part of the key when the list is sorted by severity. */
  severity?: Severity;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_CURSOR_LENGTH = 200;
/** How many items a cursor of each sort holds. */
const KEY_LENGTH: Record<IssueSort, number> = { '-detectedAt': 2, detectedAt: 3, '-severity': 4 };

export function encodeCursor(key: PageKey, sort: IssueSort = DEFAULT_SORT): string {
  const items: string[] =
    sort === DEFAULT_SORT
      ? [key.detectedAt, key.id]
      : sort === '-severity'
        ? [key.detectedAt, key.id, sort, key.severity ?? '']
        : [key.detectedAt, key.id, sort];
  return Buffer.from(JSON.stringify(items)).toString('base64url');
}

/** The key of `cursor`, which must have been issued for `sort` (400 naming `cursor` if not). */
export function decodeCursor(cursor: string, sort: IssueSort = DEFAULT_SORT): PageKey {
  const invalid = (reason: string) =>
    new InputError(`cursor: ${reason}; pass the "next" of the previous page unchanged`, {
      field: 'cursor',
    });
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor))
    throw invalid('not a cursor this server issued');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a cursor this server issued');
  }
  if (!Array.isArray(parsed) || parsed.length < 2 || parsed.length > 4)
    throw invalid('not a cursor this server issued');
  const items: unknown[] = parsed;
  const [detectedAt, id, issuedFor = DEFAULT_SORT, severity] = items;
  if (
    typeof detectedAt !== 'string' ||
    !RFC3339.test(detectedAt) ||
    Number.isNaN(Date.parse(detectedAt))
  )
    throw invalid('its time is not an RFC 3339 timestamp');
  if (typeof id !== 'string' || !UUID.test(id)) throw invalid('its id is not a UUID');
  const order = ISSUE_SORTS.find((known) => known === issuedFor);
  if (order === undefined || items.length !== KEY_LENGTH[order])
    throw invalid('not a cursor this server issued');
  if (order !== sort)
    throw invalid(`it was issued for sort=${order}; send the sort of the page before`);
  if (order !== '-severity') return { detectedAt, id };
  const known = SEVERITIES.find((value) => value === severity);
  if (known === undefined) throw invalid('its severity is not a severity');
  return { detectedAt, id, severity: known };
}
