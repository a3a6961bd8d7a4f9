/**
 * Migration 13: silences and acknowledgements (issue 19, docs/silences.md,
 * docs/decisions/0055-silenced-computed-at-read.md).
 * - `silences`: equality matchers over an issue's severity, type, scope and labels, in
 *   one namespace, from `starts_at` to `ends_at`. Nothing is ever deleted: expiring sets
 *   `ends_at`, so an expired silence stays for history, and a silence's state (pending,
 *   active, expired) is read from the clock, never written;
 * - `silences_live` (by namespace) and `silences_ending` (all namespaces): a read of "the
 *   silences that have not ended" reads only those, however many have expired;
 * - `issues.acknowledgement`: who acknowledged, when, an optional note and an optional
 *   `until`, as one jsonb value, so that the report upsert clears it with one column in
 *   the same statement that reopens the issue or raises its severity. Nullable without a
 *   default: adding it rewrites no row.
 */
export const SILENCES_SCHEMA = `
CREATE TABLE silences (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  namespace text NOT NULL,
  severity text,
  issue_type text,
  scope_type text,
  scope_name text,
  labels jsonb NOT NULL DEFAULT '{}',
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  created_by text NOT NULL,
  comment text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expired_by text,
  CHECK (ends_at >= starts_at)
)
-- statement
CREATE INDEX silences_live ON silences (namespace, ends_at)
-- statement
CREATE INDEX silences_ending ON silences (ends_at)
-- statement
CREATE INDEX silences_by_namespace ON silences (namespace, created_at DESC, id)
-- statement
ALTER TABLE issues ADD COLUMN acknowledgement jsonb
`;
