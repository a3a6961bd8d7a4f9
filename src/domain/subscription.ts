/**
 * Notification subscriptions (issue 19, docs/notifications.md): the shape a namespace's
 * subscription is given in (the API's PUT body, the operator's ConfigMap entries), the
 * checks the schema cannot make, and the pure rules the dispatcher applies: which issue
 * transitions a subscription selects and which group each falls in. No I/O.
 *
 * A receiver names its secrets (webhook URLs, HMAC keys) by reference only: a Kubernetes
 * Secret of the subscription's namespace or a file the administrator provides. The
 * values are read when a message is sent and are never part of a subscription.
 */
import { Type, type Static } from 'typebox';
import { InputError } from './errors.js';
import { ISSUE_TYPES, SEVERITIES, type IssueType, type Labels, type Severity } from './issue.js';
import { parseLabelSelector, type LabelRequirement } from './label-selector.js';
import { StringEnum } from './string-enum.js';

export const APPLICATION_LABEL = 'appstudio.openshift.io/application';
export const COMPONENT_LABEL = 'appstudio.openshift.io/component';
/** What a Secret must carry to be read as a receiver's secret. */
export const RECEIVER_SECRET_LABEL = 'kite.konflux-ci.dev/receiver';

/** A subscription's name: a DNS-1123 label (its length bounded apart: 63). */
export const SUBSCRIPTION_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** A Secret's name: a DNS-1123 subdomain. */
export const SECRET_NAME_PATTERN = '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$';
/** A key of a Secret's data. */
export const SECRET_KEY_PATTERN = '^[-._a-zA-Z0-9]{1,253}$';
/** A file name under KITE_RECEIVER_SECRETS_DIR: no path separators, not `.` or `..`. */
export const SECRET_FILE_PATTERN = '^(?!\\.\\.?$)[-._a-zA-Z0-9]{1,253}$';
/** `0s`, `30s`, `5m`, `4h`, `1d` (whole numbers). */
export const DURATION_PATTERN = '^[0-9]{1,7}(ms|s|m|h|d)$';
export const SOURCE_PATTERN = '^(api|configmap/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)$';

/** What the patterns above mean, for validation messages (src/api/error-handler.ts). */
export const SUBSCRIPTION_PATTERN_MEANINGS: Readonly<Record<string, string>> = {
  [SUBSCRIPTION_NAME_PATTERN]: 'must be a DNS-1123 label (lowercase letters, digits and "-")',
  [SECRET_NAME_PATTERN]: 'must be a Kubernetes Secret name',
  [SECRET_KEY_PATTERN]: 'must be a key of a Secret (letters, digits, "-", "_", ".")',
  [SECRET_FILE_PATTERN]: 'must be a file name without path separators',
  [DURATION_PATTERN]: 'must be a duration such as 0s, 30s, 5m or 4h',
  [SOURCE_PATTERN]: 'must be "api" or "configmap/<name>"',
};

export const GROUP_BY_FIELDS = [
  'namespace',
  'application',
  'component',
  'issueType',
  'severity',
] as const;
export type GroupByField = (typeof GROUP_BY_FIELDS)[number];

export const RECEIVER_TYPES = ['slack', 'webhook', 'email'] as const;
export const WEBHOOK_FORMATS = ['json', 'cloudevents'] as const;

/** A secret by reference: exactly one of `secret` and `file` (checked by checkSpec). */
export const SecretRefSchema = Type.Object(
  {
    secret: Type.Optional(
      Type.Object(
        {
          name: Type.String({ pattern: SECRET_NAME_PATTERN }),
          key: Type.String({ pattern: SECRET_KEY_PATTERN }),
        },
        { additionalProperties: false },
      ),
    ),
    file: Type.Optional(Type.String({ pattern: SECRET_FILE_PATTERN })),
  },
  { additionalProperties: false },
);

/**
 * One receiver. A flat object rather than a union, so a mistake is reported in one clear
 * sentence (checkSpec) instead of the union's every branch: `slack` and `webhook` need
 * `url`; `email` needs `to`.
 */
export const ReceiverSchema = Type.Object(
  {
    type: StringEnum(RECEIVER_TYPES),
    url: Type.Optional(SecretRefSchema),
    hmacSecret: Type.Optional(SecretRefSchema),
    format: Type.Optional(StringEnum(WEBHOOK_FORMATS)),
    to: Type.Optional(
      Type.Array(Type.String({ format: 'email', maxLength: 254 }), { minItems: 1, maxItems: 20 }),
    ),
  },
  { additionalProperties: false },
);

export const MatchSchema = Type.Object(
  {
    minSeverity: Type.Optional(StringEnum(SEVERITIES)),
    issueTypes: Type.Optional(Type.Array(StringEnum(ISSUE_TYPES), { minItems: 1, maxItems: 10 })),
    labelSelector: Type.Optional(Type.String({ maxLength: 2048 })),
    application: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    component: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
  },
  { additionalProperties: false },
);

const Duration = Type.String({ pattern: DURATION_PATTERN });

export const SubscriptionSpecSchema = Type.Object(
  {
    match: Type.Optional(MatchSchema),
    receivers: Type.Array(ReceiverSchema, { minItems: 1, maxItems: 10 }),
    groupBy: Type.Optional(
      Type.Array(StringEnum(GROUP_BY_FIELDS), { minItems: 1, maxItems: 5, uniqueItems: true }),
    ),
    groupWait: Type.Optional(Duration),
    groupInterval: Type.Optional(Duration),
    repeatInterval: Type.Optional(Type.Union([Duration, Type.Null()])),
    source: Type.Optional(Type.String({ pattern: SOURCE_PATTERN })),
  },
  { additionalProperties: false },
);

const Timestamp = Type.String({ format: 'date-time' });

/** A stored subscription: the spec with its defaults filled in, and where it came from. */
export const SubscriptionSchema = Type.Object({
  name: Type.String(),
  namespace: Type.String(),
  source: Type.String(),
  match: MatchSchema,
  receivers: Type.Array(ReceiverSchema),
  groupBy: Type.Array(StringEnum(GROUP_BY_FIELDS)),
  groupWait: Type.String(),
  groupInterval: Type.String(),
  repeatInterval: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export type SecretRef = Static<typeof SecretRefSchema>;
export type Receiver = Static<typeof ReceiverSchema>;
export type SubscriptionMatch = Static<typeof MatchSchema>;
export type SubscriptionSpec = Static<typeof SubscriptionSpecSchema>;
export type Subscription = Static<typeof SubscriptionSchema>;
/** What is stored: the spec with defaults, without the identity and times. */
export type StoredSpec = Omit<Subscription, 'name' | 'namespace' | 'createdAt' | 'updatedAt'>;

export const DEFAULT_GROUP_BY: GroupByField[] = ['namespace', 'application'];
export const DEFAULT_GROUP_WAIT = '30s';
export const DEFAULT_GROUP_INTERVAL = '5m';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration the schema accepted (DURATION_PATTERN). */
export function durationMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!match) throw new InputError(`"${text}" is not a duration such as 30s or 5m`);
  return Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000);
}

/**
 * The checks the schema cannot express, each a 400 naming its field; then the spec with
 * its defaults. Nothing is stored unless this passes.
 */
export function checkSpec(spec: SubscriptionSpec): StoredSpec {
  spec.receivers.forEach((receiver, i) => checkReceiver(receiver, `receivers.${i}`));
  if (spec.match?.labelSelector !== undefined) {
    try {
      parseLabelSelector(spec.match.labelSelector);
    } catch (error) {
      if (error instanceof InputError) {
        throw new InputError(`match.${error.message}`, { field: 'match.labelSelector' });
      }
      throw error;
    }
  }
  const groupWait = spec.groupWait ?? DEFAULT_GROUP_WAIT;
  const groupInterval = spec.groupInterval ?? DEFAULT_GROUP_INTERVAL;
  if (durationMs(groupInterval) < 1000) {
    throw new InputError('groupInterval must be at least 1s', { field: 'groupInterval' });
  }
  const repeat = spec.repeatInterval ?? null;
  if (repeat !== null && durationMs(repeat) < 10_000) {
    throw new InputError('repeatInterval must be at least 10s (or null: off)', {
      field: 'repeatInterval',
    });
  }
  return {
    source: spec.source ?? 'api',
    match: spec.match ?? {},
    receivers: spec.receivers,
    groupBy: spec.groupBy ?? DEFAULT_GROUP_BY,
    groupWait,
    groupInterval,
    repeatInterval: repeat,
  };
}

function checkReceiver(receiver: Receiver, field: string): void {
  const refuse = (message: string, at = field) => {
    throw new InputError(`${at}: ${message}`, { field: at });
  };
  const checkRef = (ref: SecretRef | undefined, at: string) => {
    if (ref && (ref.secret === undefined) === (ref.file === undefined)) {
      refuse('give exactly one of "secret" ({ name, key }) and "file"', at);
    }
  };
  if (receiver.type === 'email') {
    if (!receiver.to) refuse('an email receiver needs "to" (one or more addresses)');
    if (receiver.url || receiver.hmacSecret || receiver.format) {
      refuse('an email receiver takes only "to"');
    }
    return;
  }
  if (!receiver.url) refuse(`a ${receiver.type} receiver needs "url" (a secret reference)`);
  if (receiver.to) refuse(`a ${receiver.type} receiver takes no "to"`);
  if (receiver.type === 'slack' && (receiver.hmacSecret || receiver.format)) {
    refuse('a slack receiver takes only "url"');
  }
  checkRef(receiver.url, `${field}.url`);
  checkRef(receiver.hmacSecret, `${field}.hmacSecret`);
}

/** What a subscription matches a transition against: the issue as it is now. */
export interface MatchedIssue {
  namespace: string;
  issueType: IssueType;
  severity: Severity;
  labels: Labels;
}

/** Whether every condition the subscription gives holds for the issue. */
export function matches(match: SubscriptionMatch, issue: MatchedIssue): boolean {
  if (match.minSeverity && rank(issue.severity) < rank(match.minSeverity)) return false;
  if (match.issueTypes && !match.issueTypes.includes(issue.issueType)) return false;
  if (match.application && issue.labels[APPLICATION_LABEL] !== match.application) return false;
  if (match.component && issue.labels[COMPONENT_LABEL] !== match.component) return false;
  if (match.labelSelector) {
    return parseLabelSelector(match.labelSelector).every((r) => holds(r, issue.labels));
  }
  return true;
}

export function rank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

function holds(requirement: LabelRequirement, labels: Labels): boolean {
  const value = Object.hasOwn(labels, requirement.key) ? labels[requirement.key] : undefined;
  switch (requirement.op) {
    case 'eq':
      return value === requirement.value;
    case 'neq':
      return value !== requirement.value;
    case 'in':
      return value !== undefined && requirement.values.includes(value);
    case 'notin':
      return value === undefined || !requirement.values.includes(value);
    case 'exists':
      return value !== undefined;
    case 'absent':
      return value === undefined;
  }
}

/** The group a transition falls in: its values of the `groupBy` fields, in order. */
export function groupKey(groupBy: readonly GroupByField[], issue: MatchedIssue): string {
  const value = (field: GroupByField): string => {
    switch (field) {
      case 'namespace':
        return issue.namespace;
      case 'application':
        return issue.labels[APPLICATION_LABEL] ?? '';
      case 'component':
        return issue.labels[COMPONENT_LABEL] ?? '';
      case 'issueType':
        return issue.issueType;
      case 'severity':
        return issue.severity;
    }
  };
  return groupBy.map((field) => `${field}=${value(field)}`).join(',');
}
