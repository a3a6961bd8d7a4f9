/**
 * Silences and acknowledgements (docs/silences.md). A silence mutes the notifications of
 * the issues its matchers match in its namespace, from its start to its end; the issues
 * stay visible, marked with the silence. Matchers are equalities, all of which must
 * hold; labels match when the issue carries every one of them. Pure: the clock is an
 * argument, the SQL that applies matchers lives in src/store/silence-store.ts.
 */
import { InputError } from './errors.js';
import { ISSUE_TYPES, SEVERITIES, type IssueType, type Labels, type Severity } from './issue.js';

export const SILENCE_STATES = ['pending', 'active', 'expired'] as const;
export type SilenceState = (typeof SILENCE_STATES)[number];

export interface SilenceMatchers {
  severity?: Severity;
  issueType?: IssueType;
  resourceType?: string;
  resourceName?: string;
  labels?: Labels;
}

export interface SilenceInput {
  namespace: string;
  matchers: SilenceMatchers;
  /** RFC 3339; absent or past: now. */
  startsAt?: string;
  endsAt: string;
  comment: string;
}

export interface Silence {
  id: string;
  namespace: string;
  matchers: SilenceMatchers;
  startsAt: string;
  endsAt: string;
  state: SilenceState;
  createdBy: string;
  createdAt: string;
  comment: string;
  /** Who expired it before its end; absent when it ran out (or has not ended). */
  expiredBy?: string;
}

/** A namespace holds at most this many silences that have not ended (the cost bound). */
export const MAX_LIVE_SILENCES = 100;

/** 400 unless the matchers name at least one thing: a silence of everything is an outage. */
export function checkMatchers(matchers: SilenceMatchers): void {
  const named =
    matchers.severity !== undefined ||
    matchers.issueType !== undefined ||
    matchers.resourceType !== undefined ||
    matchers.resourceName !== undefined ||
    Object.keys(matchers.labels ?? {}).length > 0;
  if (!named)
    throw new InputError(
      'matchers: name at least one of severity, issueType, resourceType, resourceName, labels',
      { field: 'matchers' },
    );
}

/** 400 unless the silence ends after it starts and after `now`. */
export function checkSilenceTimes(startsAt: string | undefined, endsAt: string, now: Date): void {
  const end = Date.parse(endsAt);
  const start = startsAt === undefined ? now.getTime() : Date.parse(startsAt);
  if (end <= now.getTime())
    throw new InputError('endsAt: must be in the future', { field: 'endsAt', endsAt });
  if (end <= start)
    throw new InputError('endsAt: must be after startsAt', { field: 'endsAt', startsAt, endsAt });
}

/** 400 unless an acknowledgement's `until` is in the future. */
export function checkUntil(until: string | undefined, now: Date): void {
  if (until !== undefined && Date.parse(until) <= now.getTime())
    throw new InputError('until: must be in the future', { field: 'until', until });
}

/** The CLI's `--match` names, each with the matcher field it sets. */
const MATCH_NAMES: Readonly<Record<string, Exclude<keyof SilenceMatchers, 'labels'>>> = {
  severity: 'severity',
  type: 'issueType',
  issueType: 'issueType',
  resourceType: 'resourceType',
  resourceName: 'resourceName',
};

/**
 * Matchers from `name=value` texts (`severity=critical`, `type=build`,
 * `resourceName=web`, `label:app=web`). Each name at most once; values checked here
 * where the domain knows them (severity, type), the rest by the server.
 */
export function parseMatchers(texts: readonly string[]): SilenceMatchers {
  const matchers: SilenceMatchers = {};
  const labels: Labels = {};
  for (const text of texts) {
    const at = text.indexOf('=');
    if (at <= 0) throw new InputError(`--match ${text}: expected name=value`);
    const name = text.slice(0, at);
    const value = text.slice(at + 1);
    if (name.startsWith('label:') && name.length > 'label:'.length) {
      const key = name.slice('label:'.length);
      if (key in labels) throw new InputError(`--match ${text}: label ${key} given twice`);
      labels[key] = value;
      continue;
    }
    const field = Object.hasOwn(MATCH_NAMES, name) ? MATCH_NAMES[name] : undefined;
    if (field === undefined)
      throw new InputError(
        `--match ${text}: the name must be one of ${Object.keys(MATCH_NAMES).join(', ')}, label:KEY`,
      );
    if (matchers[field] !== undefined)
      throw new InputError(`--match ${text}: ${field} given twice`);
    if (field === 'severity') matchers.severity = oneOf(SEVERITIES, value, text);
    else if (field === 'issueType') matchers.issueType = oneOf(ISSUE_TYPES, value, text);
    else matchers[field] = value;
  }
  if (Object.keys(labels).length > 0) matchers.labels = labels;
  checkMatchers(matchers);
  return matchers;
}

function oneOf<T extends string>(allowed: readonly T[], value: string, text: string): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined)
    throw new InputError(`--match ${text}: must be one of ${allowed.join(', ')}`);
  return found;
}
