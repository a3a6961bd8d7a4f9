/**
 * The initial schema. Design notes (see docs/decisions/0002-one-row-per-identity.md):
 * - one row per issue identity, enforced by a unique index, so a report is a single
 *   `INSERT … ON CONFLICT DO UPDATE` and a regression reopens the same issue;
 * - the identity index leads with the scope so "resolve every active issue of this
 *   scope" uses its prefix;
 * - one covering "listing" index (namespace, detected_at DESC, id DESC) INCLUDE (every
 *   filterable column but the text) answers list pages, totals and counts from the index
 *   alone; only the rows of the page are read from the table
 *   (docs/decisions/0004-query-path.md);
 * - links live in a jsonb column of the issue (written with it in the same statement);
 * - every change NOTIFYs `kite_issue_changes`, which feeds the live event stream of
 *   every server replica.
 */
export const CHANGE_CHANNEL = 'kite_issue_changes';

export const INITIAL_SCHEMA = `
CREATE TABLE issues (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  scope_id uuid NOT NULL DEFAULT gen_random_uuid(),
  namespace text NOT NULL,
  issue_type text NOT NULL CHECK (issue_type IN ('build', 'test', 'release', 'dependency', 'pipeline')),
  scope_type text NOT NULL,
  scope_name text NOT NULL,
  scope_namespace text NOT NULL,
  title text NOT NULL,
  description text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('info', 'minor', 'major', 'critical')),
  state text NOT NULL CHECK (state IN ('ACTIVE', 'RESOLVED')),
  links jsonb NOT NULL DEFAULT '[]',
  labels jsonb NOT NULL DEFAULT '{}',
  occurrences integer NOT NULL DEFAULT 1,
  -- the kind of the latest timeline event, written by the same statement as the change,
  -- so an upsert can tell (exactly, under concurrency) whether it created, repeated or reopened
  last_event text NOT NULL DEFAULT 'created',
  detected_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
)
-- statement
CREATE UNIQUE INDEX issues_identity ON issues (namespace, scope_type, scope_name, scope_namespace, issue_type)
-- statement
CREATE INDEX issues_listing ON issues (namespace, detected_at DESC, id DESC)
  INCLUDE (state, severity, issue_type, scope_type, scope_name, labels)
-- statement
CREATE INDEX issues_detected ON issues (detected_at DESC, id)
-- statement
CREATE INDEX issues_resolved_at ON issues (resolved_at) WHERE state = 'RESOLVED'
-- statement
CREATE TABLE issue_relations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  source_id uuid NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
  target_id uuid NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source_id, target_id)
)
-- statement
CREATE INDEX issue_relations_target ON issue_relations (target_id)
-- statement
CREATE TABLE issue_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  issue_id uuid NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
  kind text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  summary text NOT NULL DEFAULT '',
  run_id text
)
-- statement
CREATE INDEX issue_events_by_issue ON issue_events (issue_id, id)
-- statement
CREATE INDEX issue_events_at ON issue_events (at)
-- statement
CREATE FUNCTION kite_notify_issue_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row issues;
  change text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    row := OLD;
    change := 'deleted';
  ELSIF TG_OP = 'INSERT' THEN
    row := NEW;
    change := 'created';
  ELSIF OLD.state = 'ACTIVE' AND NEW.state = 'RESOLVED' THEN
    row := NEW;
    change := 'resolved';
  ELSE
    row := NEW;
    change := 'updated';
  END IF;
  PERFORM pg_notify('${CHANGE_CHANNEL}', json_build_object(
    'type', change, 'id', row.id, 'namespace', row.namespace, 'state', row.state,
    'severity', row.severity, 'issueType', row.issue_type)::text);
  RETURN NULL;
END
$$
-- statement
CREATE TRIGGER issues_notify AFTER INSERT OR UPDATE OR DELETE ON issues
  FOR EACH ROW EXECUTE FUNCTION kite_notify_issue_change()
`;

/**
 * Migration 2, for the bridge operator's order safety (docs/decisions/0006-run-order.md):
 * - `state_at`: when the observation that decided the current state happened (a run's
 *   completion time, or the time of the change). An older report is counted but does not
 *   change the state, so an older run never overrides a newer one;
 * - an index to find whether a run was already recorded on an issue, so re-sending a
 *   report (an operator restart re-reports what it sees) is not counted twice;
 * - the change notification skips updates that changed nothing a client sees (moving
 *   `state_at` forward on an already resolved issue).
 */
export const RUN_ORDER_SCHEMA = `
ALTER TABLE issues ADD COLUMN state_at timestamptz NOT NULL DEFAULT now()
-- statement
CREATE INDEX issue_events_run ON issue_events (issue_id, run_id) WHERE run_id IS NOT NULL
-- statement
CREATE OR REPLACE FUNCTION kite_notify_issue_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row issues;
  change text;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.updated_at = NEW.updated_at THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    row := OLD;
    change := 'deleted';
  ELSIF TG_OP = 'INSERT' THEN
    row := NEW;
    change := 'created';
  ELSIF OLD.state = 'ACTIVE' AND NEW.state = 'RESOLVED' THEN
    row := NEW;
    change := 'resolved';
  ELSE
    row := NEW;
    change := 'updated';
  END IF;
  PERFORM pg_notify('${CHANGE_CHANNEL}', json_build_object(
    'type', change, 'id', row.id, 'namespace', row.namespace, 'state', row.state,
    'severity', row.severity, 'issueType', row.issue_type)::text);
  RETURN NULL;
END
$$
-- statement
UPDATE issues SET state_at = coalesce(resolved_at, last_seen_at)
`;

/**
 * Migration 3: the archive of MintMaker run logs (issue: MintMaker run logs for their
 * owners only). One row per run, authorized by the component's `namespace`; the logs as
 * gzip chunks in order, per step, so a log of any size is written and served with flat
 * memory and a size cap can drop the oldest chunks (keeping the tail).
 */
export const MINTMAKER_LOGS_SCHEMA = `
CREATE TABLE mintmaker_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  run_namespace text NOT NULL,
  run_name text NOT NULL,
  run_uid text NOT NULL UNIQUE,
  namespace text NOT NULL,
  component text NOT NULL,
  git_host text,
  repository text,
  branch text,
  repo_branch_hash text,
  status text NOT NULL CHECK (status IN ('Succeeded', 'Failed', 'Running', 'Unknown')),
  started_at timestamptz,
  completed_at timestamptz,
  labels jsonb NOT NULL DEFAULT '{}',
  log_bytes bigint NOT NULL DEFAULT 0,
  truncated boolean NOT NULL DEFAULT false,
  archived_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (run_namespace, run_name)
)
-- statement
CREATE INDEX mintmaker_runs_by_component ON mintmaker_runs (namespace, component, completed_at DESC NULLS FIRST)
-- statement
CREATE INDEX mintmaker_runs_by_hash ON mintmaker_runs (namespace, repo_branch_hash, completed_at DESC NULLS FIRST)
-- statement
CREATE TABLE mintmaker_log_chunks (
  run_id uuid NOT NULL REFERENCES mintmaker_runs (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  task text NOT NULL,
  step text NOT NULL,
  bytes integer NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (run_id, seq)
)
`;

/**
 * Migration 4: which redaction rule set each archived chunk was redacted with, so a log
 * stored under today's rules is served without a second pass (and one stored under
 * older rules is redacted again on the way out).
 */
export const REDACTION_FINGERPRINT_SCHEMA = `
ALTER TABLE mintmaker_log_chunks ADD COLUMN redaction text
`;

/**
 * Migration 5: the CRC-32 of each archived chunk's text. Chunks stored since are raw
 * DEFLATE segments ending with a sync flush, which join into one gzip body without
 * being decompressed (src/logs/gzip-segments.ts); chunks without a CRC-32 were stored
 * before, as whole gzip members, and are still read as such.
 */
export const LOG_SEGMENTS_SCHEMA = `
ALTER TABLE mintmaker_log_chunks ADD COLUMN crc32 bigint
`;

/**
 * Migration 6: who is uploading a step of an archived run. An upload writes its step
 * aside before swapping it in (src/logs/archive.ts); the claim keeps a second upload of
 * the same step from writing into, or clearing, the same aside range at the same time.
 * A claim not renewed for a while (its process died) may be taken over.
 */
export const LOG_UPLOAD_CLAIMS_SCHEMA = `
CREATE TABLE mintmaker_log_uploads (
  run_id uuid NOT NULL REFERENCES mintmaker_runs (id) ON DELETE CASCADE,
  position integer NOT NULL,
  token uuid NOT NULL,
  renewed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, position)
)
`;

/**
 * Migration 7: indexes for the filters that are not bound to the listing index
 * (docs/decisions/0028-search-and-label-indexes.md). Trigram GIN indexes let
 * `?search=` (`ILIKE '%…%'` on title or description) find its rows without reading the
 * whole table; a GIN index on labels serves `=`, `in` (containment, `@>`) and existence
 * (`?`). The default `jsonb_ops` class is used, not `jsonb_path_ops`: only it answers `?`.
 * `pg_trgm` is a trusted extension (PostgreSQL 13+), so a database owner may create it.
 * `IF NOT EXISTS`: an operator may have built them beforehand `CONCURRENTLY`.
 */
export const QUERY_INDEXES_SCHEMA = `
CREATE EXTENSION IF NOT EXISTS pg_trgm
-- statement
CREATE INDEX IF NOT EXISTS issues_title_trgm ON issues USING gin (title gin_trgm_ops)
-- statement
CREATE INDEX IF NOT EXISTS issues_description_trgm ON issues USING gin (description gin_trgm_ops)
-- statement
CREATE INDEX IF NOT EXISTS issues_labels ON issues USING gin (labels)
`;
