/** Small presentation rules: relative ages, severity order and colours (no DOM: unit-tested). */
import type { Issue } from '../../src/client/types.js';
import { dueDistance } from '../../src/domain/due-date.js';
import { ISSUE_TYPES as DOMAIN_ISSUE_TYPES } from '../../src/domain/issue.js';

export type Severity = Issue['severity'];
export type IssueType = Issue['issueType'];

/** Worst first. */
export const SEVERITIES: Severity[] = ['critical', 'major', 'minor', 'info'];
/** The server's own list (a second copy had to be kept in step with every new type). */
export const ISSUE_TYPES: IssueType[] = [...DOMAIN_ISSUE_TYPES];

/**
 * PatternFly label colours per severity. Their text-on-fill pairs meet WCAG AA contrast
 * (checked by axe-core in test/ui/).
 */
export const SEVERITY_COLOR = {
  critical: 'red',
  major: 'orange',
  minor: 'yellow',
  info: 'blue',
} as const satisfies Record<Severity, string>;

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "3 minutes ago", "yesterday". */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second') {
      return relative.format(Math.round(seconds / size), unit);
    }
  }
  return iso;
}

export const fullTime = (iso: string) => new Date(iso).toLocaleString('en', { hour12: false });

export const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** "due in 5 days" or "overdue by 2 days" (shown in red); undefined when not a time. */
export function due(iso: string, now = Date.now()): { text: string; overdue: boolean } | undefined {
  const distance = dueDistance(iso, now);
  if (!distance) return undefined;
  const { overdue, amount } = distance;
  return { text: overdue ? `overdue by ${amount}` : `due in ${amount}`, overdue };
}
