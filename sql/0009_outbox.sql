-- The outbox: one message per change of a player's goal that matters outside (completed, claimed,
-- reset, assigned, unassigned), written by a trigger in the very transaction of the change, so a
-- message exists if and only if its change committed, whichever writer made it (the event flush, a
-- claim, /initialize, activation, selection, an admin, or an operator's SQL).
CREATE TABLE outbox_messages (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The writing transaction: readers take messages in (tx, id) order and only from transactions
  -- older than every one still running (pg_snapshot_xmin), so a message committed late is never
  -- skipped by a reader that already passed its id.
  tx              xid8        NOT NULL DEFAULT pg_current_xact_id(),
  user_id         text        NOT NULL,
  namespace       text        NOT NULL,
  type            text        NOT NULL CHECK (type IN
                    ('goal.completed', 'goal.claimed', 'goal.reset', 'goal.assigned', 'goal.unassigned')),
  challenge_id    text        NOT NULL,
  goal_id         text        NOT NULL,
  progress        integer     NOT NULL,
  status          text        NOT NULL,
  -- The change's own time (the writer's updated_at).
  occurred_at     timestamptz NOT NULL,
  -- Webhook delivery state (NULL delivered_at and parked_at: still to deliver).
  attempts        integer     NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  delivered_at    timestamptz,
  parked_at       timestamptz,
  last_error      text
);

CREATE INDEX outbox_messages_user_order ON outbox_messages (user_id, tx, id);
CREATE INDEX outbox_messages_undelivered ON outbox_messages (tx, id)
  WHERE delivered_at IS NULL AND parked_at IS NULL;
CREATE INDEX outbox_messages_occurred_at ON outbox_messages USING brin (occurred_at);

CREATE FUNCTION outbox_goal_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  message_type text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    message_type := CASE WHEN NEW.is_active THEN 'goal.assigned' END;
  ELSIF OLD.is_active AND NOT NEW.is_active THEN
    message_type := 'goal.unassigned';
  ELSIF NOT OLD.is_active AND NEW.is_active THEN
    message_type := 'goal.assigned';
  ELSIF NEW.status = 'claimed' AND OLD.status <> 'claimed' THEN
    message_type := 'goal.claimed';
  ELSIF NEW.status = 'completed' AND NEW.completed_at IS DISTINCT FROM OLD.completed_at THEN
    -- Also a daily goal completed again on a new UTC day.
    message_type := 'goal.completed';
  ELSIF NEW.status = 'not_started' AND OLD.status <> 'not_started' THEN
    message_type := 'goal.reset';
  END IF;
  IF message_type IS NOT NULL THEN
    INSERT INTO outbox_messages (user_id, namespace, type, challenge_id, goal_id, progress, status, occurred_at)
    VALUES (NEW.user_id, NEW.namespace, message_type, NEW.challenge_id, NEW.goal_id, NEW.progress, NEW.status,
            NEW.updated_at);
    -- Wakes the webhook deliverers and live streams of every replica, at commit.
    PERFORM pg_notify('challenge_outbox', NEW.user_id);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_goal_insert AFTER INSERT ON user_goal_progress
  FOR EACH ROW WHEN (NEW.is_active) EXECUTE FUNCTION outbox_goal_change();

-- The condition runs for every updated row without calling the function, so the event flush's
-- progress-only updates (most of its writes) pay almost nothing for it.
CREATE TRIGGER outbox_goal_update AFTER UPDATE ON user_goal_progress
  FOR EACH ROW WHEN (
    OLD.is_active IS DISTINCT FROM NEW.is_active
    OR OLD.status IS DISTINCT FROM NEW.status
    OR OLD.completed_at IS DISTINCT FROM NEW.completed_at
  ) EXECUTE FUNCTION outbox_goal_change();
