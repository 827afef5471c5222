-- A goal is reset when it starts over: a completed or claimed goal back to not_started, a new
-- rotation period that starts it over, or an admin's reset (which gives the row a new row_id). A
-- relative goal whose measured progress merely drops back to zero (its stat fell below the
-- baseline) is not reset, and says nothing.
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
    INSERT INTO outbox_messages (user_id, namespace, type, challenge_id, goal_id, progress, status, occurred_at)
    VALUES (NEW.user_id, NEW.namespace, message_type, NEW.challenge_id, NEW.goal_id, NEW.progress, NEW.status,
            NEW.updated_at);
    -- Wakes the webhook deliverers and live streams of every replica, at commit.
    PERFORM pg_notify('challenge_outbox', NEW.user_id);
  END IF;
  RETURN NULL;
END;
$$;

-- A reset that keeps the status (an admin's reset of a goal not started) changes only row_id.
DROP TRIGGER outbox_goal_update ON user_goal_progress;
CREATE TRIGGER outbox_goal_update AFTER UPDATE ON user_goal_progress
  FOR EACH ROW WHEN (
    OLD.is_active IS DISTINCT FROM NEW.is_active
    OR OLD.status IS DISTINCT FROM NEW.status
    OR OLD.completed_at IS DISTINCT FROM NEW.completed_at
    OR OLD.row_id IS DISTINCT FROM NEW.row_id
  ) EXECUTE FUNCTION outbox_goal_change();
