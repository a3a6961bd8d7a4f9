/**
 * Notification subscriptions in words (what one matches, where it sends, how it groups)
 * and the create form's values as the API's SubscriptionSpec. No DOM: unit-tested.
 * Receivers name their secrets by reference only; no value is ever part of them.
 */
import type { NamespaceAccess, Subscription, SubscriptionSpec } from '../../src/client/types.js';
import { SEVERITIES, type IssueType, type Severity } from './format.js';

type Match = Subscription['match'];
export type Receiver = Subscription['receivers'][number];
type SecretRef = NonNullable<Receiver['url']>;
export type ReceiverType = Receiver['type'];
export type WebhookFormat = NonNullable<Receiver['format']>;

export const RECEIVER_TYPES = ['slack', 'webhook', 'email'] as const satisfies ReceiverType[];
export const WEBHOOK_FORMATS = ['json', 'cloudevents'] as const satisfies WebhookFormat[];
export const RECEIVER_LABELS: Record<ReceiverType, string> = {
  slack: 'Slack',
  webhook: 'Webhook',
  email: 'E-mail',
};

/**
 * Whether the caller may create and delete subscriptions in the namespace. The access
 * answer's `manage` (the subscriptions' own verb) where the server gives it; a server
 * that does not yet falls back to `write`, and the API checks `manage` on every change.
 */
export function mayManage(access: NamespaceAccess): boolean {
  const { manage } = access as NamespaceAccess & { manage?: boolean };
  return manage ?? access.write;
}

/** The ConfigMap a subscription was declared in (`configmap/<name>`), or undefined (API). */
export function configMapOf(source: string): string | undefined {
  return source.startsWith('configmap/') ? source.slice('configmap/'.length) : undefined;
}

/** What a subscription matches, one clause a line; every condition must hold. */
export function describeMatch(match: Match): string[] {
  const clauses: string[] = [];
  if (match.minSeverity) {
    // SEVERITIES is worst first: the worst one has nothing worse than itself.
    clauses.push(
      match.minSeverity === SEVERITIES[0]
        ? `severity ${match.minSeverity}`
        : `severity ${match.minSeverity} or worse`,
    );
  }
  if (match.issueTypes?.length) clauses.push(`type ${orList(match.issueTypes)}`);
  if (match.application) clauses.push(`application ${match.application}`);
  if (match.component) clauses.push(`component ${match.component}`);
  if (match.labelSelector) clauses.push(`labels ${match.labelSelector}`);
  return clauses.length ? clauses : ['every issue in the namespace'];
}

const orList = (items: readonly string[]) =>
  items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;

/** A secret by its reference: `Secret slack-hook, key url` or `file team-a-slack`. */
export function describeSecretRef(ref: SecretRef): string {
  if (ref.secret) return `Secret ${ref.secret.name}, key ${ref.secret.key}`;
  return `file ${ref.file ?? '?'}`;
}

/** A receiver's type and where it sends, by reference: never a secret's value. */
export function describeReceiver(receiver: Receiver): string {
  const type = RECEIVER_LABELS[receiver.type];
  if (receiver.type === 'email') return `${type}: ${(receiver.to ?? []).join(', ')}`;
  const format = receiver.type === 'webhook' ? ` (${receiver.format ?? 'json'})` : '';
  const url = receiver.url ? describeSecretRef(receiver.url) : 'no URL';
  const hmac = receiver.hmacSecret ? `; signed with ${describeSecretRef(receiver.hmacSecret)}` : '';
  return `${type}${format}: ${url}${hmac}`;
}

/** How deliveries are grouped and paced: the grouping, then the timing. */
export function describeTiming(subscription: Subscription): string[] {
  const { groupBy, groupWait, groupInterval, repeatInterval } = subscription;
  return [
    `by ${groupBy.join(', ')}`,
    `wait ${groupWait}, then at most every ${groupInterval}`,
    repeatInterval ? `repeated every ${repeatInterval} while open` : 'not repeated',
  ];
}

/**
 * A delivery's group (`namespace=team-a,application=`, its `groupBy` values in order) in
 * words: `namespace team-a, no application`. Label values hold no "," or "=".
 */
export function describeGroup(group: string): string {
  return group
    .split(',')
    .map((part) => {
      const [field = '', value = ''] = part.split('=');
      return value ? `${field} ${value}` : `no ${field}`;
    })
    .join(', ');
}

/** The create form's fields, as typed (blank: not given). */
export interface SubscriptionForm {
  name: string;
  minSeverity: Severity | '';
  issueTypes: IssueType[];
  application: string;
  component: string;
  labelSelector: string;
  receiverType: ReceiverType;
  secretName: string;
  secretKey: string;
  /** E-mail addresses, separated by commas or spaces. */
  to: string;
  format: WebhookFormat;
  groupWait: string;
}

export const EMPTY_FORM: SubscriptionForm = {
  name: '',
  minSeverity: '',
  issueTypes: [],
  application: '',
  component: '',
  labelSelector: '',
  receiverType: 'slack',
  secretName: '',
  secretKey: '',
  to: '',
  format: 'json',
  groupWait: '',
};

/**
 * The spec the form describes: blank fields left out (the server's defaults apply),
 * text trimmed. Whether it is valid is the server's to say (its 400 is shown).
 */
export function specOf(form: SubscriptionForm): SubscriptionSpec {
  const match: SubscriptionSpec['match'] = {};
  if (form.minSeverity) match.minSeverity = form.minSeverity;
  if (form.issueTypes.length) match.issueTypes = [...form.issueTypes];
  for (const key of ['application', 'component', 'labelSelector'] as const) {
    const value = form[key].trim();
    if (value) match[key] = value;
  }
  const url = { secret: { name: form.secretName.trim(), key: form.secretKey.trim() } };
  const receiver: Receiver =
    form.receiverType === 'email'
      ? { type: 'email', to: form.to.split(/[\s,;]+/).filter(Boolean) }
      : form.receiverType === 'webhook'
        ? { type: 'webhook', url, format: form.format }
        : { type: 'slack', url };
  const spec: SubscriptionSpec = { receivers: [receiver] };
  if (Object.keys(match).length) spec.match = match;
  if (form.groupWait.trim()) spec.groupWait = form.groupWait.trim();
  return spec;
}
