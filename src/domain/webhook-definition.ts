/**
 * The declarative webhook format. A webhook is data: the payload fields it accepts and
 * how they map onto an issue report or a scope resolution. Built-in webhooks are written
 * in it (builtin-webhooks.ts) and operators can add more from a YAML/JSON file
 * (`KITE_WEBHOOKS_FILE`) without code changes.
 *
 * Templates are strings with `{{field}}` placeholders; `{{field|join}}` joins a list with
 * new lines, `{{field|count}}` counts its items, `{{field|date}}` gives an RFC 3339 time's
 * UTC date (2027-01-15), `{{settings.name}}` reads a server setting. Every webhook implicitly takes a required `namespace`, optional `labels` and
 * an optional `occurredAt` (RFC 3339: when the failure or success happened, so that an
 * older run never overrides a newer one).
 */
import { Type, type Static } from 'typebox';
import { ISSUE_TYPES, SEVERITIES } from './issue.js';
import { StringEnum } from './string-enum.js';

const Severity = StringEnum(SEVERITIES);
const Template = Type.String({ minLength: 1, maxLength: 4096 });
/** A fixed issue type, or `{ field }`: an enum field of the payload whose values are issue types. */
const IssueTypeRule = Type.Union([
  StringEnum(ISSUE_TYPES),
  Type.Object({ field: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
]);

export const FieldSpec = Type.Object(
  {
    type: Type.Union([Type.Literal('string'), Type.Literal('string[]'), Type.Literal('enum')]),
    required: Type.Optional(Type.Boolean()),
    values: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    /** A string field's form, checked with the payload (400): RFC 3339, or an http(s) URL. */
    format: Type.Optional(Type.Union([Type.Literal('date-time'), Type.Literal('http-url')])),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const ScopeTemplate = Type.Object(
  {
    resourceType: Template,
    resourceName: Template,
    resourceNamespace: Type.Optional(Template),
  },
  { additionalProperties: false },
);

/** Fixed severity, or read from a field (optionally through a value map) with a default. */
const SeverityRule = Type.Union([
  Type.Object({ value: Severity }, { additionalProperties: false }),
  Type.Object(
    {
      field: Type.String({ minLength: 1 }),
      map: Type.Optional(Type.Record(Type.String(), Severity)),
      default: Severity,
    },
    { additionalProperties: false },
  ),
]);

/** A template, or candidates in order: the first whose placeholders all have values wins. */
const TextRule = Type.Union([Template, Type.Array(Template, { minItems: 1 })]);

export const WebhookDefinition = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }),
    description: Type.Optional(Type.String()),
    fields: Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]*$' }), FieldSpec),
    scope: ScopeTemplate,
    /** Answer 200 `{ info }` and store nothing when this list field is absent or empty. */
    skipWhenEmpty: Type.Optional(
      Type.Object({ field: Type.String(), info: Type.String() }, { additionalProperties: false }),
    ),
    report: Type.Optional(
      Type.Object(
        {
          issueType: IssueTypeRule,
          severity: SeverityRule,
          title: TextRule,
          description: TextRule,
          runId: Type.Optional(Template),
          /** RFC 3339: when the issue becomes due; an empty rendering means none. */
          dueAt: Type.Optional(Template),
          /**
           * What moving on needs: `required` renders "true" or "false" (absent: true when a
           * URL is given), `url` an http(s) URL; none of them rendered means none.
           */
          migration: Type.Optional(
            Type.Object(
              { required: Type.Optional(Template), url: Type.Optional(Template) },
              { additionalProperties: false },
            ),
          ),
          links: Type.Optional(
            Type.Array(
              Type.Object(
                {
                  title: Template,
                  /** Candidates in order: the first whose placeholders all have values wins. */
                  url: Type.Array(Template, { minItems: 1 }),
                },
                { additionalProperties: false },
              ),
            ),
          ),
          labels: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Template)),
        },
        { additionalProperties: false },
      ),
    ),
    resolve: Type.Optional(
      Type.Object(
        {
          /** Only issues of this type are resolved; without it, every type in the scope. */
          issueType: Type.Optional(IssueTypeRule),
          message: Template,
          /** The success run, kept on the resolution's timeline event. */
          runId: Type.Optional(Template),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type WebhookDefinition = Static<typeof WebhookDefinition>;
export type FieldSpec = Static<typeof FieldSpec>;
export type IssueTypeRule = Static<typeof IssueTypeRule>;
