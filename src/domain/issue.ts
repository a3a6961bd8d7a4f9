/**
 * The issue model shared by every component: the enumerations of the v1 contract,
 * the identity that makes two reports "the same problem", and the shapes the store
 * returns. Pure data; no I/O.
 */

import { InputError } from './errors.js';

export const SEVERITIES = ['info', 'minor', 'major', 'critical'] as const;
export const ISSUE_TYPES = [
  'build',
  'test',
  'release',
  'dependency',
  'pipeline',
  'task-update',
] as const;
export const STATES = ['ACTIVE', 'RESOLVED'] as const;

export type Severity = (typeof SEVERITIES)[number];
export type IssueType = (typeof ISSUE_TYPES)[number];
export type IssueState = (typeof STATES)[number];

export type Labels = Record<string, string>;

export interface Scope {
  resourceType: string;
  resourceName: string;
  resourceNamespace: string;
}

/**
 * Whether moving to the newer version of what an issue is about (a Tekton task bundle)
 * needs changes, and the link to what to change (that version's MIGRATION.md).
 */
export interface MigrationInfo {
  required: boolean;
  /** An http(s) URL, or null when there is nothing to read. */
  url: string | null;
}

export interface LinkInput {
  title: string;
  url: string;
}

/**
 * What makes two reports the same problem. The database holds at most one issue per
 * identity (a unique index), so a repeated failure updates instead of duplicating and a
 * failure on a resolved issue reopens it.
 */
export interface IssueIdentity {
  namespace: string;
  issueType: IssueType;
  scope: Scope;
}

/** One failure report: what a webhook, the operator or `POST /issues` hands the store. */
export interface IssueReport extends IssueIdentity {
  title: string;
  description: string;
  severity: Severity;
  state?: IssueState;
  links?: LinkInput[];
  labels?: Labels;
  /**
   * The run that produced this report, kept on its event for the timeline. A run already
   * recorded on the issue is not counted again, so re-sending a report is harmless.
   */
  runId?: string;
  /**
   * When the reported failure happened (e.g. a run's completion time). A report older
   * than the observation that decided the issue's current state is counted but does not
   * change the state: an older run never overrides a newer one. Absent means "now".
   */
  occurredAt?: string;
  /** RFC 3339: when the problem becomes due (a task bundle's expiry). Absent: none. */
  dueAt?: string;
  /** What moving on needs (a task-update issue). Absent: none. */
  migration?: MigrationInfo;
}

export interface Link extends LinkInput {
  id: string;
  issueId: string;
}

/** What a relation shows of the issue at its other end (when the caller may read it). */
export interface RelatedIssue {
  id: string;
  title: string;
  severity: Severity;
  state: IssueState;
  namespace: string;
  cluster?: string;
}

/**
 * A relation between two issues. `sourceID`/`targetID` repeat `sourceId`/`targetId` in
 * the spelling konflux-ui's types use; `source` and `target` summarize both issues.
 */
export interface Relation {
  id: string;
  sourceId: string;
  targetId: string;
  sourceID: string;
  targetID: string;
  source?: RelatedIssue;
  target?: RelatedIssue;
}

/** Relations to issues the caller may not read: only counted, never identified. */
export interface HiddenRelations {
  count: number;
  message: string;
}

export interface Issue {
  id: string;
  title: string;
  description: string;
  severity: Severity;
  issueType: IssueType;
  state: IssueState;
  detectedAt: string;
  resolvedAt: string | null;
  /**
   * In the store, the issue's place key (src/domain/place.ts); in answers, split: the
   * namespace here and its cluster in `cluster`.
   */
  namespace: string;
  /** The cluster the issue belongs to; set on answers (absent inside the store). */
  cluster?: string;
  scopeId: string;
  scope: Scope & { id: string };
  links: Link[];
  relatedFrom: Relation[];
  relatedTo: Relation[];
  /** Present when some relations lead to issues the caller may not read. */
  hiddenRelations?: HiddenRelations;
  createdAt: string;
  updatedAt: string;
  occurrences: number;
  lastSeenAt: string;
  labels: Labels;
  /** RFC 3339; null when the issue has no due date (every type but task-update, so far). */
  dueAt: string | null;
  migration: MigrationInfo | null;
  /** The active silence that mutes the issue's notifications (docs/silences.md); absent: none. */
  silencedBy?: string;
  /** Present while the issue is acknowledged (absent once its `until` has passed). */
  acknowledgement?: Acknowledgement;
}

/** Who acknowledged an issue, when, and optionally why and until when (docs/silences.md). */
export interface Acknowledgement {
  by: string;
  at: string;
  note?: string;
  until?: string;
}

export const EVENT_KINDS = [
  'created',
  'reported',
  'reopened',
  'updated',
  'resolved',
  'acknowledged',
  'unacknowledged',
] as const;
export type IssueEventKind = (typeof EVENT_KINDS)[number];

/** One entry of an issue's timeline. */
export interface IssueEvent {
  id: string;
  issueId: string;
  kind: IssueEventKind;
  at: string;
  summary: string;
  runId: string | null;
}

/** A change broadcast on the live stream (`GET /api/v1/events`). */
export interface IssueChange {
  type: 'created' | 'updated' | 'resolved' | 'deleted';
  id: string;
  namespace: string;
  state: IssueState;
  severity: Severity;
  issueType: IssueType;
}

/** What a success report resolves: every active issue of one scope, of any type. */
export interface ScopeRef {
  namespace: string;
  scope: Scope;
}

/** The optional facts of a success report: when it happened and which run it was. */
export interface Resolution {
  /** Issues whose state was decided by a later observation are left alone. Absent: now. */
  occurredAt?: string;
  runId?: string;
  /** The timeline event's text; default "resolved by a success report". */
  summary?: string;
}

/**
 * The most UTF-8 bytes an issue's scope type and name and its labels (as JSON) may take
 * together. They are stored in the database's issue indexes, whose entries must fit a
 * third of a page (~2.7 KB): past it PostgreSQL refuses the row. 1024 CJK characters are
 * 3 KB, so a character count alone cannot promise this.
 */
export const INDEXED_BYTES_MAX = 2000;

/** A 400 naming what makes the indexed part of an issue too large, or undefined. */
export function indexedSizeProblem(
  scope: { resourceType?: string; resourceName?: string },
  labels: Labels | undefined,
): InputError | undefined {
  const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
  const scopeBytes = bytes(scope.resourceType ?? '') + bytes(scope.resourceName ?? '');
  const labelBytes = labels ? bytes(JSON.stringify(labels)) : 0;
  if (scopeBytes + labelBytes <= INDEXED_BYTES_MAX) return undefined;
  const field = labelBytes > scopeBytes ? 'labels' : 'scope.resourceName';
  return new InputError(
    `Invalid request: ${field} too large: the scope's type and name and the labels take ${scopeBytes + labelBytes} bytes (UTF-8), at most ${INDEXED_BYTES_MAX} fit`,
    { field, limitBytes: INDEXED_BYTES_MAX },
  );
}
