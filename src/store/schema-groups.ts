/**
 * Migration 14: failure signatures and root-cause groups (issue 20,
 * docs/root-cause-groups.md, docs/decisions/0058-groups-in-the-report-transaction.md).
 * - the signature of an issue's latest failure report (hash, normalised key, class, CVEs,
 *   dependency) on `issues`, and the hash on each timeline event; all nullable without a
 *   default, so adding them rewrites no row;
 * - partial indexes over active issues only, which is where a new report looks for a
 *   peer to form a group with;
 * - groups, the keys they are found by (`signature:<hash>`, `cve:<id>`,
 *   `dependency:<name>`; a merge moves keys), their members (an issue is in at most one
 *   group) and the splits people made (a split member is never re-added to that group);
 * - triggers keep each group's size, active members, state and namespaces exact on every
 *   path that changes an issue's state (reports, successes, edits, age-out, deletes), and
 *   NOTIFY a group change (on its own channel) once per namespace of a group of two or
 *   more members: the change carries numbers only.
 */
/** Group changes go on their own channel: issue-change listeners see only issues. */
export const GROUP_CHANNEL = 'kite_group_changes';

export const ROOT_CAUSE_GROUPS_SCHEMA = `
ALTER TABLE issues ADD COLUMN signature_hash text, ADD COLUMN signature_key text,
  ADD COLUMN failure_class text, ADD COLUMN cves text[], ADD COLUMN dependency text
-- statement
ALTER TABLE issue_events ADD COLUMN signature_hash text
-- statement
CREATE INDEX issues_active_signature ON issues (signature_hash)
  WHERE state = 'ACTIVE' AND signature_hash IS NOT NULL
-- statement
CREATE INDEX issues_active_cves ON issues USING gin (cves)
  WHERE state = 'ACTIVE' AND cves IS NOT NULL
-- statement
CREATE INDEX issues_active_dependency ON issues (dependency)
  WHERE state = 'ACTIVE' AND dependency IS NOT NULL
-- statement
CREATE TABLE root_cause_groups (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  state text NOT NULL DEFAULT 'ACTIVE' CHECK (state IN ('ACTIVE', 'RESOLVED')),
  size integer NOT NULL DEFAULT 0,
  active integer NOT NULL DEFAULT 0,
  namespaces text[] NOT NULL DEFAULT '{}',
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_joined_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
)
-- statement
CREATE INDEX root_cause_groups_shown ON root_cause_groups (last_joined_at DESC, id) WHERE size >= 2
-- statement
CREATE INDEX root_cause_groups_namespaces ON root_cause_groups USING gin (namespaces) WHERE size >= 2
-- statement
CREATE TABLE root_cause_keys (
  key text NOT NULL,
  group_id uuid NOT NULL REFERENCES root_cause_groups (id) ON DELETE CASCADE,
  PRIMARY KEY (key, group_id)
)
-- statement
CREATE INDEX root_cause_keys_group ON root_cause_keys (group_id)
-- statement
CREATE TABLE root_cause_members (
  issue_id uuid PRIMARY KEY REFERENCES issues (id) ON DELETE CASCADE,
  group_id uuid NOT NULL REFERENCES root_cause_groups (id) ON DELETE CASCADE,
  namespace text NOT NULL,
  active boolean NOT NULL,
  reason_kind text NOT NULL CHECK (reason_kind IN ('signature', 'cve', 'dependency')),
  reason text NOT NULL,
  joined_at timestamptz NOT NULL DEFAULT now()
)
-- statement
CREATE INDEX root_cause_members_group ON root_cause_members (group_id, namespace)
-- statement
CREATE TABLE root_cause_splits (
  issue_id uuid NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
  group_id uuid NOT NULL REFERENCES root_cause_groups (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issue_id, group_id)
)
-- statement
CREATE INDEX root_cause_splits_group ON root_cause_splits (group_id)
-- statement
CREATE FUNCTION kite_root_cause_recount(gid uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  n integer;
  a integer;
BEGIN
  SELECT count(*), count(*) FILTER (WHERE active) INTO n, a
    FROM root_cause_members WHERE group_id = gid;
  IF n = 0 THEN
    DELETE FROM root_cause_groups WHERE id = gid;
    RETURN;
  END IF;
  UPDATE root_cause_groups SET
    size = n,
    active = a,
    state = CASE WHEN a > 0 THEN 'ACTIVE' ELSE 'RESOLVED' END,
    resolved_at = CASE WHEN a > 0 THEN NULL ELSE coalesce(resolved_at, now()) END,
    namespaces = ARRAY(SELECT DISTINCT m.namespace FROM root_cause_members m
                       WHERE m.group_id = gid ORDER BY 1),
    updated_at = now()
  WHERE id = gid;
END
$$
-- statement
CREATE FUNCTION kite_root_cause_member_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM kite_root_cause_recount(OLD.group_id);
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.group_id <> OLD.group_id) THEN
    PERFORM kite_root_cause_recount(NEW.group_id);
  END IF;
  RETURN NULL;
END
$$
-- statement
CREATE TRIGGER root_cause_members_recount AFTER INSERT OR UPDATE OR DELETE ON root_cause_members
  FOR EACH ROW EXECUTE FUNCTION kite_root_cause_member_change()
-- statement
CREATE FUNCTION kite_root_cause_issue_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE root_cause_members SET active = (NEW.state = 'ACTIVE')
    WHERE issue_id = NEW.id AND active <> (NEW.state = 'ACTIVE');
  RETURN NULL;
END
$$
-- statement
CREATE TRIGGER issues_root_cause_state AFTER UPDATE OF state ON issues
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
  EXECUTE FUNCTION kite_root_cause_issue_state()
-- statement
CREATE FUNCTION kite_notify_group_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ns text;
BEGIN
  IF NEW.size < 2 THEN
    RETURN NULL;
  END IF;
  FOREACH ns IN ARRAY NEW.namespaces LOOP
    PERFORM pg_notify('${GROUP_CHANNEL}', json_build_object(
      'type', 'group', 'id', NEW.id, 'namespace', ns, 'state', NEW.state,
      'size', NEW.size, 'recovered', NEW.size - NEW.active)::text);
  END LOOP;
  RETURN NULL;
END
$$
-- statement
CREATE TRIGGER root_cause_groups_notify AFTER INSERT OR UPDATE ON root_cause_groups
  FOR EACH ROW EXECUTE FUNCTION kite_notify_group_change()
`;
