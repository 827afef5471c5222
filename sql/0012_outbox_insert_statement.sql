-- /initialize and selection insert a player's goals in one statement, ~100 rows for the default
-- configuration. A trigger per row ran the function, an INSERT and a pg_notify for each of them;
-- once per statement, the messages are one set-based INSERT and each player is notified once.
-- Updates keep their row trigger: its WHEN condition skips progress-only updates (most of the
-- event flush's writes) without calling anything, where a statement trigger would first copy every
-- updated row into its transition table.
CREATE FUNCTION outbox_goals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO outbox_messages (user_id, namespace, type, challenge_id, goal_id, progress, status, occurred_at)
  SELECT user_id, namespace, 'goal.assigned', challenge_id, goal_id, progress, status, updated_at
  FROM inserted_goals WHERE is_active;
  -- Wakes the webhook deliverers and live streams of every replica, at commit.
  PERFORM pg_notify('challenge_outbox', players.user_id)
  FROM (SELECT DISTINCT user_id FROM inserted_goals WHERE is_active) AS players;
  RETURN NULL;
END;
$$;

DROP TRIGGER outbox_goal_insert ON user_goal_progress;
CREATE TRIGGER outbox_goal_insert AFTER INSERT ON user_goal_progress
  REFERENCING NEW TABLE AS inserted_goals
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_goals_inserted();
