-- Webhook delivery keeps its queue in two partial indexes (messages still to deliver, and the same
-- per player), two more index entries for every message. Without a webhook nobody delivers, so a
-- message written then is not for delivery: it stays in the outbox for live streams to replay,
-- and never enters those indexes. The event flush writes ~4 messages per event on the original's
-- workload and /initialize ~100 per new player; both wrote 15-18 % less WAL without them. The
-- service records at start-up whether a webhook is configured; every writer, the service or an
-- operator's SQL, reads it here in the trigger.
CREATE TABLE outbox_settings (
  only_row         boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  webhook_delivery boolean NOT NULL DEFAULT true
);
INSERT INTO outbox_settings DEFAULT VALUES;

ALTER TABLE outbox_messages ADD COLUMN for_delivery boolean NOT NULL DEFAULT true;

DROP INDEX outbox_messages_undelivered;
CREATE INDEX outbox_messages_undelivered ON outbox_messages (tx, id)
  WHERE for_delivery AND delivered_at IS NULL AND parked_at IS NULL;
DROP INDEX outbox_messages_user_pending;
CREATE INDEX outbox_messages_user_pending ON outbox_messages (user_id, tx, id)
  WHERE for_delivery AND delivered_at IS NULL AND parked_at IS NULL;

-- Without a settings row (deleted by hand) messages stay for delivery, as before this migration.
CREATE FUNCTION outbox_for_delivery() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT webhook_delivery FROM outbox_settings), true)
$$;

CREATE OR REPLACE FUNCTION outbox_goal_change() RETURNS trigger LANGUAGE plpgsql AS $$
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
  ELSIF NEW.status = 'not_started' AND (
    OLD.status IN ('completed', 'claimed')
    OR NEW.period_start IS DISTINCT FROM OLD.period_start
    OR NEW.row_id IS DISTINCT FROM OLD.row_id
  ) THEN
    message_type := 'goal.reset';
  END IF;
  IF message_type IS NOT NULL THEN
    INSERT INTO outbox_messages (user_id, namespace, type, challenge_id, goal_id, progress, status, occurred_at,
                                 for_delivery)
    VALUES (NEW.user_id, NEW.namespace, message_type, NEW.challenge_id, NEW.goal_id, NEW.progress, NEW.status,
            NEW.updated_at, outbox_for_delivery());
    -- Wakes the webhook deliverers and live streams of every replica, at commit.
    PERFORM pg_notify('challenge_outbox', NEW.user_id);
  END IF;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION outbox_goals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO outbox_messages (user_id, namespace, type, challenge_id, goal_id, progress, status, occurred_at,
                               for_delivery)
  SELECT user_id, namespace, 'goal.assigned', challenge_id, goal_id, progress, status, updated_at,
         outbox_for_delivery()
  FROM inserted_goals WHERE is_active;
  -- Wakes the webhook deliverers and live streams of every replica, at commit.
  PERFORM pg_notify('challenge_outbox', players.user_id)
  FROM (SELECT DISTINCT user_id FROM inserted_goals WHERE is_active) AS players;
  RETURN NULL;
END;
$$;
