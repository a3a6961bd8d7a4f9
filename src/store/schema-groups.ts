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

/**
 * The statement trigger that keeps groups' counts as members come, go and move. `lock` is
 * how it first locks the groups: migration 14 took FOR UPDATE, which conflicts with the
 * FOR KEY SHARE a member's foreign key takes on its group, so two reports joining one
 * group (both holding KEY SHARE, each waiting to upgrade) deadlocked; migration 15 takes
 * FOR NO KEY UPDATE (what the UPDATE of the counts needs anyway), which does not.
 */
const membersChanged = (
  lock: string,
) => `CREATE OR REPLACE FUNCTION kite_root_cause_members_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  -- Once per statement, groups locked in id order (so concurrent writers lock them alike).
  -- Joins and recoveries add to the counts; a member leaving or moving recounts its
  -- groups from their members (splits and merges are rare).
  IF TG_OP = 'INSERT' THEN
    PERFORM 1 FROM root_cause_groups WHERE id IN (SELECT group_id FROM added) ORDER BY id ${lock};
    UPDATE root_cause_groups g SET
      size = g.size + a.n,
      active = g.active + a.a,
      state = CASE WHEN g.active + a.a > 0 THEN 'ACTIVE' ELSE 'RESOLVED' END,
      resolved_at = CASE WHEN g.active + a.a > 0 THEN NULL ELSE coalesce(g.resolved_at, now()) END,
      namespaces = CASE WHEN a.ns <@ g.namespaces THEN g.namespaces
                   ELSE ARRAY(SELECT DISTINCT x FROM unnest(g.namespaces || a.ns) AS x ORDER BY 1) END,
      last_joined_at = now(),
      updated_at = now()
    FROM (SELECT group_id, count(*)::int AS n, count(*) FILTER (WHERE active)::int AS a,
                 array_agg(DISTINCT namespace) AS ns
          FROM added GROUP BY group_id) a
    WHERE g.id = a.group_id;
  ELSIF TG_OP = 'DELETE' THEN
    FOR r IN SELECT DISTINCT group_id FROM removed ORDER BY 1 LOOP
      PERFORM kite_root_cause_recount(r.group_id);
    END LOOP;
  ELSE
    FOR r IN SELECT group_id FROM (
               SELECT o.group_id FROM removed o JOIN added n USING (issue_id) WHERE o.group_id <> n.group_id
               UNION SELECT n.group_id FROM removed o JOIN added n USING (issue_id) WHERE o.group_id <> n.group_id
             ) moved ORDER BY 1 LOOP
      PERFORM kite_root_cause_recount(r.group_id);
    END LOOP;
    FOR r IN SELECT n.group_id, sum(n.active::int - o.active::int)::int AS d
             FROM removed o JOIN added n USING (issue_id)
             WHERE o.group_id = n.group_id AND o.active <> n.active
             GROUP BY n.group_id ORDER BY 1 LOOP
      PERFORM kite_root_cause_add(r.group_id, 0, r.d, '{}');
    END LOOP;
  END IF;
  RETURN NULL;
END
$$`;

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
-- No index names a column a join changes (size, active, state, last_joined_at), so those
-- updates stay HOT; groups are few next to issues, and a page of them is sorted.
CREATE INDEX root_cause_groups_namespaces ON root_cause_groups USING gin (namespaces)
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
CREATE FUNCTION kite_root_cause_add(gid uuid, n integer, a integer, ns text[]) RETURNS void
LANGUAGE sql AS $$
  UPDATE root_cause_groups SET
    size = size + n,
    active = active + a,
    state = CASE WHEN active + a > 0 THEN 'ACTIVE' ELSE 'RESOLVED' END,
    resolved_at = CASE WHEN active + a > 0 THEN NULL ELSE coalesce(resolved_at, now()) END,
    namespaces = CASE WHEN ns <@ namespaces THEN namespaces
                 ELSE ARRAY(SELECT DISTINCT x FROM unnest(namespaces || ns) AS x ORDER BY 1) END,
    last_joined_at = CASE WHEN n > 0 THEN now() ELSE last_joined_at END,
    updated_at = now()
  WHERE id = gid
$$
-- statement
${membersChanged('FOR UPDATE')}
-- statement
CREATE TRIGGER root_cause_members_added AFTER INSERT ON root_cause_members
  REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION kite_root_cause_members_changed()
-- statement
CREATE TRIGGER root_cause_members_removed AFTER DELETE ON root_cause_members
  REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION kite_root_cause_members_changed()
-- statement
CREATE TRIGGER root_cause_members_moved AFTER UPDATE ON root_cause_members
  REFERENCING OLD TABLE AS removed NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION kite_root_cause_members_changed()
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

/** Migration 15: joining a group no longer deadlocks with another join (membersChanged). */
export const GROUP_JOIN_LOCK_SCHEMA = membersChanged('FOR NO KEY UPDATE');
