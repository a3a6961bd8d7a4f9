/**
 * Migration 8: issue counts by (namespace, state, severity, issue type), kept by
 * triggers in the same transaction as every change of `issues`, so counts and totals
 * never scan issues (docs/decisions/0030-counts-table.md). Writers only append signed
 * deltas (`issue_count_deltas`): an insert takes no lock another writer waits for, so
 * 64 reports into one namespace neither queue on a hot counter row nor deadlock. A
 * writer now and then (1 statement in 16) folds the committed deltas into
 * `issue_counts`, under a try-lock so folds never wait on each other. Readers add both
 * tables in one statement, so they see exactly the issues of their snapshot.
 * Inserts and deletes are counted by statement-level triggers with transition tables
 * (one delta row per key, however many rows a statement wrote: multi-row upserts
 * included); updates by a row trigger whose WHEN skips, without calling any function,
 * the common update that moves no counted column (a repeat report). The backfill runs under a lock
 * that keeps writers of an older replica out until the triggers exist.
 */
export const ISSUE_COUNTS_SCHEMA = `
LOCK TABLE issues IN SHARE ROW EXCLUSIVE MODE
-- statement
CREATE TABLE issue_counts (
  namespace text NOT NULL,
  state text NOT NULL,
  severity text NOT NULL,
  issue_type text NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (namespace, state, severity, issue_type)
)
-- statement
CREATE TABLE issue_count_deltas (
  namespace text NOT NULL,
  state text NOT NULL,
  severity text NOT NULL,
  issue_type text NOT NULL,
  n bigint NOT NULL
)
-- statement
INSERT INTO issue_counts (namespace, state, severity, issue_type, n)
SELECT namespace, state, severity, issue_type, count(*) FROM issues GROUP BY 1, 2, 3, 4
-- statement
CREATE FUNCTION kite_fold_issue_counts() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  -- 4711008 names the fold; a writer that cannot take it at once leaves the fold to others.
  IF random() < 0.0625 AND pg_try_advisory_xact_lock(4711008) THEN
    WITH folded AS (DELETE FROM issue_count_deltas RETURNING *)
    INSERT INTO issue_counts AS c (namespace, state, severity, issue_type, n)
    SELECT namespace, state, severity, issue_type, sum(n) FROM folded GROUP BY 1, 2, 3, 4
    ON CONFLICT (namespace, state, severity, issue_type) DO UPDATE SET n = c.n + EXCLUDED.n;
  END IF;
END
$$
-- statement
CREATE FUNCTION kite_count_issues() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO issue_count_deltas (namespace, state, severity, issue_type, n)
    SELECT namespace, state, severity, issue_type, count(*) FROM new_rows GROUP BY 1, 2, 3, 4;
  ELSE
    INSERT INTO issue_count_deltas (namespace, state, severity, issue_type, n)
    SELECT namespace, state, severity, issue_type, -count(*) FROM old_rows GROUP BY 1, 2, 3, 4;
  END IF;
  IF FOUND THEN
    PERFORM kite_fold_issue_counts();
  END IF;
  RETURN NULL;
END
$$
-- statement
CREATE FUNCTION kite_count_issue_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO issue_count_deltas (namespace, state, severity, issue_type, n)
  VALUES (OLD.namespace, OLD.state, OLD.severity, OLD.issue_type, -1),
         (NEW.namespace, NEW.state, NEW.severity, NEW.issue_type, 1);
  PERFORM kite_fold_issue_counts();
  RETURN NULL;
END
$$
-- statement
CREATE TRIGGER issues_count_insert AFTER INSERT ON issues
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kite_count_issues()
-- statement
CREATE TRIGGER issues_count_update AFTER UPDATE ON issues FOR EACH ROW
  WHEN ((OLD.namespace, OLD.state, OLD.severity, OLD.issue_type)
    IS DISTINCT FROM (NEW.namespace, NEW.state, NEW.severity, NEW.issue_type))
  EXECUTE FUNCTION kite_count_issue_moved()
-- statement
CREATE TRIGGER issues_count_delete AFTER DELETE ON issues
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kite_count_issues()
-- statement
CREATE FUNCTION kite_count_issues_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM issue_counts;
  DELETE FROM issue_count_deltas;
  RETURN NULL;
END
$$
-- statement
CREATE TRIGGER issues_count_truncate AFTER TRUNCATE ON issues
  FOR EACH STATEMENT EXECUTE FUNCTION kite_count_issues_truncated()
`;
