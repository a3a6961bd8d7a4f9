/**
 * Loads the webhook definitions (built-in plus those of `KITE_WEBHOOKS_FILE`), checks
 * them once at start-up and derives each one's request schema, which validates payloads
 * and documents them in the OpenAPI document.
 */
import { readFile } from 'node:fs/promises';
import { Type, type TSchema, type TUnsafe } from 'typebox';
import { Value } from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { BUILTIN_WEBHOOKS } from '../domain/builtin-webhooks.js';
import { InputError } from '../domain/errors.js';
import { ISSUE_TYPES, SEVERITIES } from '../domain/issue.js';
import { WebhookDefinition } from '../domain/webhook-definition.js';
import type { WebhookPayload } from '../domain/webhook-engine.js';
import { HTTP_URL_PATTERN, LabelsSchema, NamespaceName } from '../domain/value-schemas.js';
import { StringEnum } from '../domain/string-enum.js';

export interface RegisteredWebhook {
  definition: WebhookDefinition;
  /** Validates a payload; what passes it is a `WebhookPayload` (typed so, for the route). */
  bodySchema: TUnsafe<WebhookPayload>;
}

export async function loadWebhooks(file: string | undefined): Promise<RegisteredWebhook[]> {
  const extra = file ? parseDefinitions(file, await readFile(file, 'utf8')) : [];
  return registerWebhooks([...BUILTIN_WEBHOOKS, ...extra]);
}

export function parseDefinitions(source: string, text: string): WebhookDefinition[] {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new InputError(`${source}: not valid YAML or JSON: ${(error as Error).message}`);
  }
  const list: unknown =
    document && typeof document === 'object' && 'webhooks' in document
      ? document.webhooks
      : document;
  if (!Array.isArray(list))
    throw new InputError(`${source}: expected a list of webhooks (or { webhooks: [...] })`);
  return list.map((item: unknown, index) => {
    const errors = [...Value.Errors(WebhookDefinition, item)];
    if (errors.length > 0) {
      const problems = errors.slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`);
      throw new InputError(`${source}: webhook #${index + 1} is invalid: ${problems.join('; ')}`);
    }
    return item as WebhookDefinition;
  });
}

export function registerWebhooks(definitions: readonly WebhookDefinition[]): RegisteredWebhook[] {
  const seen = new Set<string>();
  return definitions.map((definition) => {
    if (seen.has(definition.name))
      throw new InputError(`webhook "${definition.name}" is defined twice`);
    seen.add(definition.name);
    checkDefinition(definition);
    return { definition, bodySchema: bodySchemaOf(definition) };
  });
}

/** A single payload field: at most the description cap (a failure reason may become one). */
const FIELD_MAX_LENGTH = 65536;

const IMPLICIT_FIELDS = new Set(['namespace', 'labels', 'occurredAt']);

function checkDefinition(definition: WebhookDefinition): void {
  const fail = (reason: string) => new InputError(`webhook "${definition.name}": ${reason}`);
  if (Boolean(definition.report) === Boolean(definition.resolve)) {
    throw fail('must have exactly one of "report" and "resolve"');
  }
  for (const [name, spec] of Object.entries(definition.fields)) {
    if (IMPLICIT_FIELDS.has(name)) throw fail(`"${name}" is implicit and must not be declared`);
    if (spec.type === 'enum' && !spec.values) throw fail(`enum field "${name}" needs "values"`);
    if (spec.format && spec.type !== 'string')
      throw fail(`field "${name}": only a string has a format`);
  }
  const templates = JSON.stringify(definition).match(/\{\{\s*[A-Za-z][A-Za-z0-9_.]*/g) ?? [];
  for (const placeholder of templates) {
    const name = placeholder.replace(/^\{\{\s*/, '');
    if (name.startsWith('settings.') || name === 'resolved' || IMPLICIT_FIELDS.has(name)) continue;
    if (!(name in definition.fields)) throw fail(`template uses undeclared field "${name}"`);
  }
  for (const rule of [definition.report?.issueType, definition.resolve?.issueType]) {
    if (rule === undefined || typeof rule === 'string') continue;
    const field = definition.fields[rule.field];
    const valid = (field?.values ?? []).every((v) =>
      (ISSUE_TYPES as readonly string[]).includes(v),
    );
    if (field?.type !== 'enum' || !field.required || !valid) {
      throw fail(
        `issue type field "${rule.field}" must be a required enum of ${ISSUE_TYPES.join(', ')}`,
      );
    }
  }
  const severity = definition.report?.severity;
  if (severity && 'field' in severity) {
    const field = definition.fields[severity.field];
    if (!field) throw fail(`severity field "${severity.field}" is not declared`);
    const invalid = severity.map
      ? []
      : (field.values ?? []).filter((v) => !(SEVERITIES as readonly string[]).includes(v));
    if (!severity.map && (field.type !== 'enum' || invalid.length > 0)) {
      throw fail(
        `severity field "${severity.field}" must be an enum of ${SEVERITIES.join(', ')} or have a "map"`,
      );
    }
  }
}

function bodySchemaOf(definition: WebhookDefinition): TUnsafe<WebhookPayload> {
  const properties: Record<string, TSchema> = {
    namespace: NamespaceName({ description: 'namespace the report belongs to' }),
    labels: Type.Optional(LabelsSchema),
    occurredAt: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'when it happened (RFC 3339); an observation older than the one that decided the issue state does not change it',
      }),
    ),
  };
  for (const [name, spec] of Object.entries(definition.fields)) {
    const options = spec.description ? { description: spec.description } : {};
    const schema =
      spec.type === 'string[]'
        ? Type.Array(Type.String(), options)
        : spec.type === 'enum'
          ? StringEnum(spec.values ?? [], options)
          : Type.String({
              ...options,
              maxLength: spec.format === 'http-url' ? 4096 : FIELD_MAX_LENGTH,
              ...(spec.required ? { minLength: 1 } : {}),
              ...(spec.format === 'date-time' ? { format: 'date-time' } : {}),
              ...(spec.format === 'http-url' ? { pattern: HTTP_URL_PATTERN } : {}),
            });
    properties[name] = spec.required ? schema : Type.Optional(schema);
  }
  // Every schema has `namespace` (a string) and optional `labels` and `occurredAt`: the
  // shape of a WebhookPayload, which the field list cannot tell TypeScript by itself.
  return Type.Unsafe<WebhookPayload>(
    Type.Object(properties, { description: definition.description ?? definition.name }),
  );
}
