/**
 * Runs a declarative webhook: turns a validated payload into what the store must do.
 * Pure: the result is a description (report, resolve or skip) the API route carries out.
 */
import { InputError } from './errors.js';
import type {
  IssueReport,
  IssueType,
  Labels,
  LinkInput,
  Resolution,
  ScopeRef,
  Severity,
} from './issue.js';
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

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_.]*)\s*(?:\|\s*(join|count)\s*)?\}\}/g;

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
        ? value
        : '';
    if (rendered === '') complete = false;
    return rendered;
  });
  return { text, complete };
}

export function runWebhook(
  definition: WebhookDefinition,
  payload: WebhookPayload,
  settings: Settings,
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
  const occurredAt = payload.occurredAt ? { occurredAt: payload.occurredAt } : {};
  if (definition.resolve) {
    const { issueType, message } = definition.resolve;
    const runId = definition.resolve.runId ? text(definition.resolve.runId) : '';
    return {
      kind: 'resolve',
      target: { namespace: payload.namespace, scope },
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
      namespace: payload.namespace,
      issueType: issueTypeOf(spec.issueType, payload),
      scope,
      title: text(spec.title),
      description: text(spec.description),
      severity: severityOf(spec.severity, payload),
      links: (spec.links ?? []).flatMap((link) => renderLink(link, payload, settings)),
      labels: { ...renderLabels(spec.labels ?? {}, payload, settings), ...(payload.labels ?? {}) },
      ...(runId ? { runId } : {}),
      ...occurredAt,
    },
  };
}

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

function renderLink(
  link: { title: string; url: string[] },
  payload: Record<string, unknown>,
  settings: Settings,
): LinkInput[] {
  for (const candidate of link.url) {
    const url = render(candidate, payload, settings);
    if (url.complete) return [{ title: render(link.title, payload, settings).text, url: url.text }];
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
