/**
 * Notification messages and the rule that decides what a group's flush sends
 * (docs/notifications.md). Pure: the dispatcher (src/notify/) reads the pending
 * transitions and the silences, this decides, the store commits the decision.
 */
import type { IssueState, IssueType, Labels, LinkInput, Severity } from './issue.js';

export const TRANSITIONS = ['opened', 'reopened', 'resolved', 'severity-raised'] as const;
export type Transition = (typeof TRANSITIONS)[number];
/** `still-open`: a repeat_interval reminder of what the group announced and is still active. */
export type MessageTransition = Transition | 'still-open';

/** One transition waiting in its group, with its issue as it is now (absent: deleted). */
export interface PendingTransition {
  id: string;
  issueId: string;
  transition: Transition;
  severity: Severity;
  previousSeverity: Severity | null;
  at: string;
  issue: NotifiedIssue | undefined;
}

/** What a message tells of an issue. */
export interface NotifiedIssue {
  title: string;
  description: string;
  severity: Severity;
  state: IssueState;
  issueType: IssueType;
  scope: { resourceType: string; resourceName: string };
  labels: Labels;
  links: LinkInput[];
}

export interface MessageItem extends NotifiedIssue {
  issueId: string;
  transition: MessageTransition;
  previousSeverity: Severity | null;
  at: string;
}

/** One message of one group, as stored for each of the subscription's receivers. */
export interface NotificationMessage {
  namespace: string;
  subscription: string;
  /** `namespace=team-a,application=storefront`: the values the group shares. */
  group: string;
  /** At most MESSAGE_ITEMS, in the order of their changes. */
  items: MessageItem[];
  /** How many more the group's flush had (a burst of thousands stays one readable message). */
  omitted: number;
}

/** The most issues one message details. */
export const MESSAGE_ITEMS = 50;

export interface FlushPlan {
  /** What the message tells, each with the pending id it comes from. */
  send: { id: string; item: MessageItem }[];
  /** Pending ids taken out of the queue: sent, or superseded, or no longer true. */
  taken: string[];
  /** Pending ids held by a silence, with the silence. */
  held: { id: string; silence: string }[];
}

/** How many characters of an issue's reason a message quotes (its first lines). */
export const REASON_LINES = 5;
export const REASON_CHARS = 600;

/**
 * What a flush does with its pending transitions: per issue only the latest counts (an
 * issue opened and resolved within group_wait is told once, as resolved); a muted one
 * is held, not dropped; one that is no longer true (the issue was deleted, or has moved
 * on to a state the queue has not routed yet) is taken out without a message.
 */
export function planFlush(
  pending: readonly PendingTransition[],
  muted: ReadonlyMap<string, string>,
): FlushPlan {
  const latest = new Map<string, PendingTransition>();
  const taken: string[] = [];
  for (const item of pending) {
    const before = latest.get(item.issueId);
    if (before && Number(before.id) > Number(item.id)) {
      taken.push(item.id);
      continue;
    }
    if (before) taken.push(before.id);
    latest.set(item.issueId, item);
  }
  const plan: FlushPlan = { send: [], taken, held: [] };
  for (const item of latest.values()) {
    const silence = muted.get(item.issueId);
    if (silence !== undefined) {
      plan.held.push({ id: item.id, silence });
      continue;
    }
    plan.taken.push(item.id);
    if (!item.issue || !stillTrue(item.transition, item.issue.state)) continue;
    plan.send.push({ id: item.id, item: messageItem(item.issue, item) });
  }
  plan.send.sort(
    (a, b) => a.item.at.localeCompare(b.item.at) || a.item.issueId.localeCompare(b.item.issueId),
  );
  return plan;
}

function stillTrue(transition: Transition, state: IssueState): boolean {
  return transition === 'resolved' ? state === 'RESOLVED' : state === 'ACTIVE';
}

export function messageItem(
  issue: NotifiedIssue,
  at: {
    issueId: string;
    transition: MessageTransition;
    previousSeverity: Severity | null;
    at: string;
  },
): MessageItem {
  return {
    issueId: at.issueId,
    transition: at.transition,
    previousSeverity: at.previousSeverity,
    at: at.at,
    ...issue,
    description: firstLines(issue.description),
  };
}

/** The first lines of a reason, bounded, so a 64 KiB log excerpt does not become a message. */
export function firstLines(text: string): string {
  const lines = text.split('\n').slice(0, REASON_LINES).join('\n');
  return lines.length > REASON_CHARS ? `${lines.slice(0, REASON_CHARS - 1)}…` : lines;
}

/** A message's one-line headline: "3 issues opened in team-a (application=storefront)". */
export function headline(message: NotificationMessage): string {
  const counts = new Map<MessageTransition, number>();
  for (const item of message.items) {
    counts.set(item.transition, (counts.get(item.transition) ?? 0) + 1);
  }
  const parts = [...counts].map(
    ([transition, n]) => `${n} ${n === 1 ? 'issue' : 'issues'} ${words(transition)}`,
  );
  const scope = message.group
    .split(',')
    .filter((part) => !part.startsWith('namespace='))
    .join(', ');
  const more = message.omitted > 0 ? `, and ${message.omitted} more` : '';
  return `${parts.join(', ')}${more} in ${message.namespace}${scope ? ` (${scope})` : ''}`;
}

export function words(transition: MessageTransition): string {
  return transition === 'severity-raised'
    ? 'raised in severity'
    : transition === 'still-open'
      ? 'still open'
      : transition;
}
