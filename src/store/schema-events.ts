/**
 * Migration 9: live events that can be resumed (docs/decisions/0026-event-fan-out.md).
 * Every change notification carries an event id from the `issue_events` sequence: the
 * newest `issue_events` row of the issue for a create or an update (written by the same
 * statement; an after-row trigger sees it), and for a delete the id of a tombstone,
 * because the events go with it. Tombstones keep what a stream needs to replay
 * the delete; they are pruned with the events, by age.
 */
import { CHANGE_CHANNEL } from './schema.js';

export const EVENT_RESUME_SCHEMA = `
CREATE TABLE issue_tombstones (
  id bigint PRIMARY KEY,
  issue_id uuid NOT NULL,
  namespace text NOT NULL,
  state text NOT NULL,
  severity text NOT NULL,
  issue_type text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
)
-- statement
CREATE INDEX issue_tombstones_at ON issue_tombstones (at)
-- statement
CREATE OR REPLACE FUNCTION kite_notify_issue_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  row issues;
  change text;
  event_id bigint;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.updated_at = NEW.updated_at THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    row := OLD;
    change := 'deleted';
    event_id := nextval(pg_get_serial_sequence('issue_events', 'id'));
    INSERT INTO issue_tombstones (id, issue_id, namespace, state, severity, issue_type)
      VALUES (event_id, row.id, row.namespace, row.state, row.severity, row.issue_type);
  ELSE
    row := NEW;
    IF TG_OP = 'INSERT' THEN
      change := 'created';
    ELSIF OLD.state = 'ACTIVE' AND NEW.state = 'RESOLVED' THEN
      change := 'resolved';
    ELSE
      change := 'updated';
    END IF;
    SELECT max(e.id) INTO event_id FROM issue_events e WHERE e.issue_id = row.id;
  END IF;
  PERFORM pg_notify('${CHANGE_CHANNEL}', json_build_object(
    'type', change, 'id', row.id, 'namespace', row.namespace, 'state', row.state,
    'severity', row.severity, 'issueType', row.issue_type, 'eventId', event_id::text)::text);
  RETURN NULL;
END
$$
`;
