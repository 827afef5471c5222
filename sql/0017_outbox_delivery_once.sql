-- A message's `for_delivery` defaults to outbox_for_delivery() (0013), which PostgreSQL evaluates
-- for every row inserted: a lookup of the settings row per message. The triggers write a
-- statement's messages in one INSERT, so they read the setting once and pass it to every row; on
-- a new player's /initialize (~100 messages) that was about two fifths of the trigger's time. The
-- default stays for messages an operator writes by hand.
CREATE OR REPLACE FUNCTION outbox_goals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delivery boolean := outbox_for_delivery();
BEGIN
  INSERT INTO outbox_messages
    (user_id, namespace, type, challenge_id, goal_id, progress, status, occurred_at, for_delivery)
  SELECT user_id, namespace, 'goal.assigned', challenge_id, goal_id, progress, status, updated_at, delivery
  FROM inserted_goals WHERE is_active;
  -- Wakes the webhook deliverers and live streams of every replica, at commit.
  PERFORM pg_notify('challenge_outbox', players.user_id)
  FROM (SELECT DISTINCT user_id FROM inserted_goals WHERE is_active) AS players;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION outbox_goals_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delivery boolean := outbox_for_delivery();
BEGIN
  INSERT INTO outbox_messages
    (user_id, namespace, type, challenge_id, goal_id, progress, status, occurred_at, for_delivery)
  SELECT c.user_id, c.namespace, c.type, c.challenge_id, c.goal_id, c.progress, c.status, c.updated_at, delivery
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
