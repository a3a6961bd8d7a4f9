/**
 * Migration 12: notifications (issue 19, docs/decisions/0053-notification-outbox.md).
 * - `notification_subscriptions`: one row per namespace and name; the spec as jsonb (it
 *   names secrets by reference only, never their values);
 * - `notification_outbox`: a transition of an issue (opened, reopened, resolved,
 *   severity raised), written by a trigger on `issues` in the transaction of the change,
 *   so a committed change always has its row and a rolled-back one never does. Only
 *   namespaces with a subscription get rows. The triggers' WHEN clauses let a repeated
 *   report (same state, same severity) through without calling any function at all;
 * - `notification_pending` and `notification_groups`: transitions routed to a
 *   subscription, waiting in their group for its flush (group_wait, group_interval);
 *   a muted one stays here, held, with the silence that holds it;
 * - `notification_group_open`: what a group has announced open, for repeat_interval;
 * - `notification_deliveries`: one message for one receiver, its id the idempotency key,
 *   claimed by one replica at a time (a lease), retried with backoff, and `dead` after
 *   its last attempt. It keeps the receiver as given (secret references) and the
 *   message's content, never a secret's value.
 */
export const NOTIFICATION_CHANNEL = 'kite_notifications';

export const NOTIFICATIONS_SCHEMA = `
CREATE TABLE notification_subscriptions (
  namespace text NOT NULL,
  name text NOT NULL,
  source text NOT NULL,
  spec jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, name)
)
-- statement
CREATE TABLE notification_outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  issue_id uuid NOT NULL,
  namespace text NOT NULL,
  transition text NOT NULL,
  severity text NOT NULL,
  previous_severity text,
  at timestamptz NOT NULL DEFAULT now()
)
-- statement
CREATE FUNCTION kite_notification_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  transition text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM notification_subscriptions s WHERE s.namespace = NEW.namespace) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    transition := 'opened';
  ELSIF OLD.state = 'RESOLVED' AND NEW.state = 'ACTIVE' THEN
    transition := 'reopened';
  ELSIF OLD.state = 'ACTIVE' AND NEW.state = 'RESOLVED' THEN
    transition := 'resolved';
  ELSIF NEW.state = 'ACTIVE' AND array_position(ARRAY['info', 'minor', 'major', 'critical'], NEW.severity)
      > array_position(ARRAY['info', 'minor', 'major', 'critical'], OLD.severity) THEN
    transition := 'severity-raised';
  ELSE
    RETURN NULL;
  END IF;
  INSERT INTO notification_outbox (issue_id, namespace, transition, severity, previous_severity)
    VALUES (NEW.id, NEW.namespace, transition, NEW.severity,
            CASE WHEN TG_OP = 'UPDATE' THEN OLD.severity END);
  PERFORM pg_notify('${NOTIFICATION_CHANNEL}', '');
  RETURN NULL;
END
$$
-- statement
CREATE TRIGGER issues_notification_opened AFTER INSERT ON issues
  FOR EACH ROW WHEN (NEW.state = 'ACTIVE') EXECUTE FUNCTION kite_notification_outbox()
-- statement
CREATE TRIGGER issues_notification_changed AFTER UPDATE ON issues
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.severity IS DISTINCT FROM NEW.severity)
  EXECUTE FUNCTION kite_notification_outbox()
-- statement
CREATE TABLE notification_groups (
  namespace text NOT NULL,
  subscription text NOT NULL,
  group_key text NOT NULL,
  interval_ms bigint NOT NULL,
  flush_at timestamptz,
  last_sent_at timestamptz,
  repeat_at timestamptz,
  PRIMARY KEY (namespace, subscription, group_key),
  FOREIGN KEY (namespace, subscription) REFERENCES notification_subscriptions (namespace, name)
    ON DELETE CASCADE
)
-- statement
CREATE INDEX notification_groups_due ON notification_groups (flush_at) WHERE flush_at IS NOT NULL
-- statement
CREATE INDEX notification_groups_repeat ON notification_groups (repeat_at) WHERE repeat_at IS NOT NULL
-- statement
CREATE TABLE notification_pending (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  namespace text NOT NULL,
  subscription text NOT NULL,
  group_key text NOT NULL,
  issue_id uuid NOT NULL,
  transition text NOT NULL,
  severity text NOT NULL,
  previous_severity text,
  at timestamptz NOT NULL,
  muted_by text,
  FOREIGN KEY (namespace, subscription, group_key)
    REFERENCES notification_groups (namespace, subscription, group_key) ON DELETE CASCADE
)
-- statement
CREATE INDEX notification_pending_group ON notification_pending (namespace, subscription, group_key)
-- statement
CREATE TABLE notification_group_open (
  namespace text NOT NULL,
  subscription text NOT NULL,
  group_key text NOT NULL,
  issue_id uuid NOT NULL,
  PRIMARY KEY (namespace, subscription, group_key, issue_id),
  FOREIGN KEY (namespace, subscription, group_key)
    REFERENCES notification_groups (namespace, subscription, group_key) ON DELETE CASCADE
)
-- statement
CREATE TABLE notification_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  namespace text NOT NULL,
  subscription text NOT NULL,
  group_key text NOT NULL,
  receiver jsonb NOT NULL,
  message jsonb NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  claim uuid,
  claimed_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
)
-- statement
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at)
  WHERE state = 'pending'
-- statement
CREATE INDEX notification_deliveries_by_namespace ON notification_deliveries (namespace, state, created_at DESC)
`;
