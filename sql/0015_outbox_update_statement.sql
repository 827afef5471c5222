-- Since goals that follow a stat no longer rewrite their rows on every event (0014), most of the
-- event flush's row updates are changes the outbox records: a player's first events complete many
-- goals at once. The row trigger ran the function, a one-row INSERT and a pg_notify for each of
-- them. Once per statement, as for inserts (0012), the messages are one set-based INSERT and each
-- player is notified once; the rows an update changed without a message (the few progress-only
-- writes left) are only compared.
--
-- What a change means, as before (0011): assigned or unassigned when `is_active` flips, claimed,
-- completed (also a daily goal completed again on a new UTC day), or reset when a goal starts
-- over (back to not_started from completed or claimed, a new rotation period, an admin's reset
-- with a new row_id); anything else is no message.
CREATE FUNCTION outbox_change_type(o user_goal_progress, n user_goal_progress)
  RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN o.is_active AND NOT n.is_active THEN 'goal.unassigned'
    WHEN NOT o.is_active AND n.is_active THEN 'goal.assigned'
    WHEN n.status = 'claimed' AND o.status <> 'claimed' THEN 'goal.claimed'
    WHEN n.status = 'completed' AND n.completed_at IS DISTINCT FROM o.completed_at THEN 'goal.completed'
    WHEN n.status = 'not_started' AND (
      o.status IN ('completed', 'claimed')
      OR n.period_start IS DISTINCT FROM o.period_start
      OR n.row_id IS DISTINCT FROM o.row_id
    ) THEN 'goal.reset'
  END
$$;

CREATE FUNCTION outbox_goals_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO outbox_messages (user_id, namespace, type, challenge_id, goal_id, progress, status, occurred_at)
  SELECT c.user_id, c.namespace, c.type, c.challenge_id, c.goal_id, c.progress, c.status, c.updated_at
  FROM (
    SELECT n.*, outbox_change_type(o, n) AS type
    FROM old_goals o JOIN new_goals n ON n.user_id = o.user_id AND n.goal_id = o.goal_id
  ) AS c
  WHERE c.type IS NOT NULL
  ORDER BY c.user_id, c.goal_id;
  -- Wakes the webhook deliverers and live streams of every replica, at commit.
  PERFORM pg_notify('challenge_outbox', players.user_id)
  FROM (
    SELECT DISTINCT n.user_id
    FROM old_goals o JOIN new_goals n ON n.user_id = o.user_id AND n.goal_id = o.goal_id
    WHERE outbox_change_type(o, n) IS NOT NULL
  ) AS players;
  RETURN NULL;
END;
$$;

DROP TRIGGER outbox_goal_update ON user_goal_progress;
DROP FUNCTION outbox_goal_change();
CREATE TRIGGER outbox_goal_update AFTER UPDATE ON user_goal_progress
  REFERENCING OLD TABLE AS old_goals NEW TABLE AS new_goals
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_goals_updated();
