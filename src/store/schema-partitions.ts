/**
 * Migration 16: `issue_events` partitioned by month of `at`, so that retention drops
 * whole months of timeline (a DROP TABLE, no dead rows to vacuum) instead of deleting
 * rows one by one (docs/decisions/0064-partitioned-events.md).
 *
 * The table as it is becomes the first partition, for every time up to the start of the
 * next month: no row is copied. Its identity becomes a plain sequence owned by the new
 * table's `id` (so `pg_get_serial_sequence('issue_events', 'id')`, which event ids and
 * tombstones draw from, goes on counting where it was), and its primary key grows to
 * `(id, at)`, as a partitioned table's must include the partition key. Attaching checks
 * the old rows against the partition's bounds and indexes them once, under a lock that
 * holds writers for that long (seconds per million events).
 *
 * `kite_event_partitions(ahead)` creates the monthly partitions from the current one to
 * `ahead` months later; the migration and every prune pass call it, and a prune drops
 * the partitions past retention with `kite_drop_event_partition`
 * (src/store/event-partitions.ts).
 */
export const PARTITIONED_EVENTS_SCHEMA = `
LOCK TABLE issue_events IN ACCESS EXCLUSIVE MODE
-- statement
CREATE SEQUENCE kite_issue_events_id
-- statement
SELECT setval('kite_issue_events_id',
  coalesce(pg_sequence_last_value(pg_get_serial_sequence('issue_events', 'id')::regclass), 0) + 1, false)
-- statement
ALTER TABLE issue_events ALTER COLUMN id DROP IDENTITY
-- statement
ALTER TABLE issue_events RENAME TO issue_events_first
-- statement
ALTER TABLE issue_events_first RENAME CONSTRAINT issue_events_pkey TO issue_events_first_pkey
-- statement
ALTER INDEX issue_events_by_issue RENAME TO issue_events_first_by_issue
-- statement
ALTER INDEX issue_events_at RENAME TO issue_events_first_at
-- statement
ALTER INDEX issue_events_run RENAME TO issue_events_first_run
-- statement
CREATE TABLE issue_events (
  id bigint NOT NULL DEFAULT nextval('kite_issue_events_id'),
  issue_id uuid NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
  kind text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  summary text NOT NULL DEFAULT '',
  run_id text,
  signature_hash text,
  PRIMARY KEY (id, at)
) PARTITION BY RANGE (at)
-- statement
ALTER SEQUENCE kite_issue_events_id OWNED BY issue_events.id
-- statement
CREATE INDEX issue_events_by_issue ON issue_events (issue_id, id)
-- statement
CREATE INDEX issue_events_at ON issue_events (at)
-- statement
CREATE INDEX issue_events_run ON issue_events (issue_id, run_id) WHERE run_id IS NOT NULL
-- statement
ALTER TABLE issue_events_first DROP CONSTRAINT issue_events_first_pkey
-- statement
ALTER TABLE issue_events_first ADD PRIMARY KEY (id, at)
-- statement
ALTER TABLE issue_events ATTACH PARTITION issue_events_first
  FOR VALUES FROM (MINVALUE) TO (date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 month')
-- statement
CREATE FUNCTION kite_event_partitions(ahead integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  month timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  made integer := 0;
  name text;
BEGIN
  FOR i IN 0..ahead LOOP
    name := 'issue_events_' || to_char(month AT TIME ZONE 'UTC', 'YYYY_MM');
    -- Only a month no partition covers yet: making one locks issue_events, which a
    -- pass that finds every month covered (nearly all of them) must not do.
    IF NOT EXISTS (
      SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      CROSS JOIN LATERAL (SELECT pg_get_expr(c.relpartbound, c.oid) AS bound) b
      WHERE i.inhparent = 'issue_events'::regclass
        AND (b.bound LIKE 'FOR VALUES FROM (MINVALUE)%'
             OR substring(b.bound FROM 'FROM \\(''([^'']+)''\\)')::timestamptz <= month)
        AND substring(b.bound FROM 'TO \\(''([^'']+)''\\)')::timestamptz > month)
    THEN
      BEGIN
        EXECUTE format('CREATE TABLE %I PARTITION OF issue_events FOR VALUES FROM (%L) TO (%L)',
          name, month, month + interval '1 month');
        made := made + 1;
      EXCEPTION WHEN invalid_object_definition OR duplicate_table THEN
        -- Another server made it, or an existing partition covers the month.
        NULL;
      END;
    END IF;
    month := month + interval '1 month';
  END LOOP;
  RETURN made;
END
$$
-- statement
CREATE FUNCTION kite_drop_event_partition(part text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  -- Only ever a partition of issue_events.
  IF NOT EXISTS (SELECT 1 FROM pg_inherits
                 WHERE inhparent = 'issue_events'::regclass AND inhrelid = to_regclass(part)) THEN
    RETURN 0;
  END IF;
  EXECUTE format('SELECT count(*) FROM %I', part) INTO n;
  EXECUTE format('DROP TABLE %I', part);
  RETURN n;
EXCEPTION WHEN undefined_table THEN
  -- Another server's prune dropped it first.
  RETURN 0;
END
$$
-- statement
SELECT kite_event_partitions(2)
`;
