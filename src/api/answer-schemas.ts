/**
 * The HTTP schemas of list and count answers: a page of items (v1 and the issue list's
 * keyset page) and the issue counts by severity, type and state. schemas.ts re-exports them.
 */
import { Type, type TSchema } from 'typebox';
import { ISSUE_TYPES, SEVERITIES, STATES } from '../domain/issue.js';

export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({
    data: Type.Array(item),
    total: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
  });
}

/** A page of issues: the v1 page and the cursor of the page after it (null on the last). */
export function issuePageOf<T extends TSchema>(item: T) {
  return Type.Object({
    ...pageOf(item).properties,
    totalIsEstimate: Type.Optional(
      Type.Literal(true, {
        description: 'present when `total` was not counted exactly (docs/api.md, "Totals")',
      }),
    ),
    next: Type.Union([Type.String(), Type.Null()], {
      description: 'pass as `cursor` for the next page; null when this page is the last',
    }),
  });
}

const countsOf = (keys: readonly string[]) =>
  Type.Object(Object.fromEntries(keys.map((key) => [key, Type.Integer()])));

export const CountsSchema = Type.Object({
  total: Type.Integer(),
  totalIsEstimate: Type.Optional(
    Type.Literal(true, {
      description: 'present when the counts were not counted exactly (docs/api.md, "Totals")',
    }),
  ),
  bySeverity: countsOf(SEVERITIES),
  byType: countsOf(ISSUE_TYPES),
  byState: countsOf(STATES),
});

/** `/issues/counts`: the counts plus how many of them are silenced, apart. */
export const CountsAnswerSchema = Type.Object({
  ...CountsSchema.properties,
  silenced: Type.Integer({
    description: 'of `total`, the issues an active silence matches (docs/silences.md)',
  }),
  silencedIsEstimate: Type.Optional(
    Type.Literal(true, { description: 'present when `silenced` stopped counting at 10,000' }),
  ),
});
