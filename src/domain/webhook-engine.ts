/**
 * Runs a declarative webhook: turns a validated payload into what the store must do.
 * Pure: the result is a description (report, resolve or skip) the API route carries out.
 */
import { InputError } from './errors.js';
import { isStorableTime } from './rfc3339.js';
import type {
  IssueReport,
  IssueType,
  Labels,
  LinkInput,
  MigrationInfo,
  Resolution,
  ScopeRef,
  Severity,
} from './issue.js';
import { HTTP_URL_PATTERN } from './value-schemas.js';
import type { IssueTypeRule, WebhookDefinition } from './webhook-definition.js';

export type WebhookPayload = Record<string, unknown> & {
  namespace: string;
  labels?: Labels;
  occurredAt?: string;
};

export type WebhookAction =
  | { kind: 'report'; report: IssueReport }
  | {
      kind: 'resolve';
      target: ScopeRef;
      issueType?: IssueType;
      resolution: Resolution;
      message: (resolved: number) => string;
    }
  | { kind: 'skip'; info: string };

export type Settings = Readonly<Record<string, string>>;

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_.]*)\s*(?:\|\s*(join|count|date)\s*)?\}\}/g;

/** Renders a template; `complete` is false when a placeholder had no value. */
export function render(template: string, payload: Record<string, unknown>, settings: Settings) {
  let complete = true;
  const text = template.replace(PLACEHOLDER, (_match, path: string, filter?: string) => {
    const value = path.startsWith('settings.')
      ? settings[path.slice('settings.'.length)]
      : payload[path];
    if (filter === 'count') return String(Array.isArray(value) ? value.length : 0);
    const rendered = Array.isArray(value)
      ? value.map(String).join('\n')
      : typeof value === 'string'
        ? filter === 'date'
          ? utcDate(value)
          : value
        : '';
    if (rendered === '') complete = false;
    return rendered;
  });
  return { text, complete };
}

/** The UTC date (YYYY-MM-DD) of an RFC 3339 time; '' when it is not one. */
function utcDate(value: string): string {
  const time = Date.parse(value);
  return Number.isNaN(time) ? '' : new Date(time).toISOString().slice(0, 10);
}

/** The first candidate whose placeholders all have values, else the last one rendered. */
function renderFirst(
  rule: string | string[],
  payload: Record<string, unknown>,
  settings: Settings,
) {
  const candidates = typeof rule === 'string' ? [rule] : rule;
  let rendered = '';
  for (const candidate of candidates) {
    const result = render(candidate, payload, settings);
    if (result.complete) return result.text;
    rendered = result.text;
  }
  return rendered;
}

/**
 * What a webhook call does. `place` is the place key (src/domain/place.ts) the issues
 * belong to: by default the payload's namespace (the server's own cluster).
 */
export function runWebhook(
  definition: WebhookDefinition,
  payload: WebhookPayload,
  settings: Settings,
  place: string = payload.namespace,
): WebhookAction {
  const text = (template: string) => render(template, payload, settings).text;
  const skip = definition.skipWhenEmpty;
  if (skip) {
    const value = payload[skip.field];
    if (!Array.isArray(value) || value.length === 0) return { kind: 'skip', info: text(skip.info) };
  }
  const scope = {
    resourceType: text(definition.scope.resourceType),
    resourceName: text(definition.scope.resourceName),
    resourceNamespace: definition.scope.resourceNamespace
      ? text(definition.scope.resourceNamespace)
      : payload.namespace,
  };
  if (!scope.resourceType || !scope.resourceName || !scope.resourceNamespace) {
    throw new InputError('Missing required fields', 'the payload does not name a complete scope');
  }
  for (const [part, value] of Object.entries(scope)) {
    if (value.length > TEXT_LIMITS.name) {
      throw new InputError(
        `Invalid request: the scope's ${part} is longer than ${TEXT_LIMITS.name} characters`,
        { field: `scope.${part}`, limit: TEXT_LIMITS.name },
      );
    }
  }
  const occurredAt = payload.occurredAt ? { occurredAt: payload.occurredAt } : {};
  if (definition.resolve) {
    const { issueType, message } = definition.resolve;
    const runId = definition.resolve.runId ? text(definition.resolve.runId) : '';
    return {
      kind: 'resolve',
      target: { namespace: place, scope },
      ...(issueType ? { issueType: issueTypeOf(issueType, payload) } : {}),
      resolution: { ...occurredAt, ...(runId ? { runId } : {}) },
      message: (resolved) => text(message.replace(/\{\{\s*resolved\s*\}\}/g, String(resolved))),
    };
  }
  const spec = definition.report;
  if (!spec) throw new Error(`webhook ${definition.name} neither reports nor resolves`);
  const runId = spec.runId ? text(spec.runId) : '';
  return {
    kind: 'report',
    report: {
      namespace: place,
      issueType: issueTypeOf(spec.issueType, payload),
      scope,
      title: truncate(renderFirst(spec.title, payload, settings), TEXT_LIMITS.title, '…'),
      description: truncate(
        renderFirst(spec.description, payload, settings),
        TEXT_LIMITS.description,
        DESCRIPTION_MARKER,
      ),
      severity: severityOf(spec.severity, payload),
      links: (spec.links ?? []).flatMap((link) => renderLink(link, payload, settings)),
      labels: { ...renderLabels(spec.labels ?? {}, payload, settings), ...(payload.labels ?? {}) },
      ...(runId ? { runId } : {}),
      ...occurredAt,
      ...dueAtOf(spec.dueAt, payload, settings),
      ...migrationOf(spec.migration, payload, settings),
    },
  };
}

function dueAtOf(
  template: string | undefined,
  payload: Record<string, unknown>,
  settings: Settings,
): { dueAt?: string } {
  if (!template) return {};
  const { text, complete } = render(template, payload, settings);
  if (!complete) return {};
  if (!isStorableTime(text)) {
    throw new InputError(
      'Invalid request: the due date must be an RFC 3339 date and time, e.g. 2027-01-15T00:00:00Z',
      { field: 'dueAt' },
    );
  }
  return { dueAt: text };
}

function migrationOf(
  rule: NonNullable<WebhookDefinition['report']>['migration'],
  payload: Record<string, unknown>,
  settings: Settings,
): { migration?: MigrationInfo } {
  if (!rule) return {};
  const required = rule.required ? render(rule.required, payload, settings) : undefined;
  const url = rule.url ? render(rule.url, payload, settings) : undefined;
  const link = url?.complete ? url.text : null;
  if (link !== null && (!HTTP_LINK.test(link) || link.length > 4096)) {
    throw new InputError(
      'Invalid request: the migration link must be an http(s) URL of at most 4096 characters',
      { field: 'migration.url' },
    );
  }
  if (required?.complete && required.text !== 'true' && required.text !== 'false') {
    throw new InputError('Invalid request: whether a migration is required must be true or false', {
      field: 'migration.required',
    });
  }
  if (!required?.complete && link === null) return {};
  return {
    migration: { required: required?.complete ? required.text === 'true' : true, url: link },
  };
}

const HTTP_LINK = new RegExp(HTTP_URL_PATTERN);

function issueTypeOf(rule: IssueTypeRule, payload: WebhookPayload): IssueType {
  // A field rule names an enum field of issue types, checked when the webhook was loaded.
  return typeof rule === 'string' ? rule : (payload[rule.field] as IssueType);
}

function severityOf(
  rule: NonNullable<WebhookDefinition['report']>['severity'],
  payload: WebhookPayload,
): Severity {
  if ('value' in rule) return rule.value;
  const raw = payload[rule.field];
  if (typeof raw !== 'string' || raw === '') return rule.default;
  if (rule.map) return rule.map[raw] ?? rule.default;
  return raw as Severity; // the field is declared as a severity enum, validated before we get here
}

/**
 * The caps every issue obeys, whichever way it arrives. `POST /issues` refuses longer
 * text (400); a webhook renders its text from a payload the sender cannot easily trim
 * (renovate-log-analyzer joins every log line it found), so a rendered title or
 * description is cut to the cap instead, with a marker saying so.
 */
export const TEXT_LIMITS = { title: 1024, description: 65536, name: 1024 } as const;
export const DESCRIPTION_MARKER = '\n… [truncated: the report was longer than KITE keeps]';

/** `text` cut to at most `max` UTF-16 units, `marker` included, never splitting a pair. */
export function truncate(text: string, max: number, marker: string): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - marker.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + marker;
}

/** http(s) URLs and paths on this server; a `javascript:` or `data:` link is refused. */
const SAFE_LINK = /^(https?:\/\/[^\s/?#]+|\/(?![/\\]))\S*$/i;

function renderLink(
  link: { title: string; url: string[] },
  payload: Record<string, unknown>,
  settings: Settings,
): LinkInput[] {
  for (const candidate of link.url) {
    const url = render(candidate, payload, settings);
    if (!url.complete) continue;
    const title = render(link.title, payload, settings).text;
    if (!SAFE_LINK.test(url.text) || url.text.length > 4096) {
      throw new InputError(
        `Invalid request: the "${title}" link must be an http(s) URL of at most 4096 characters`,
        { field: 'links', link: title },
      );
    }
    return [{ title, url: url.text }];
  }
  return [];
}

function renderLabels(
  templates: Record<string, string>,
  payload: Record<string, unknown>,
  settings: Settings,
): Labels {
  const labels: Labels = {};
  for (const [key, template] of Object.entries(templates)) {
    const value = render(template, payload, settings);
    if (value.complete) labels[key] = value.text;
  }
  return labels;
}
