-- The outbox triggers no longer call pg_notify. A transaction that notifies takes a lock of the
-- whole cluster before it commits and holds it until its commit record is on disk, so every
-- writer that notified (each /initialize, event flush and claim) committed one after another,
-- one disk flush each, and a slow flush queued every writer behind it. The writers now name the
-- players they changed after their commit, in a small transaction of their own that does not wait
-- for the disk (src/db/change-notices.ts).
CREATE OR REPLACE FUNCTION outbox_goals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delivery boolean := outbox_for_delivery();
BEGIN
  INSERT INTO outbox_messages
    (user_id, namespace, type, challenge_id, goal_id, progress, status, occurred_at, for_delivery)
  SELECT user_id, namespace, 'goal.assigned', challenge_id, goal_id, progress, status, updated_at, delivery
  FROM inserted_goals WHERE is_active;
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
  RETURN NULL;
END;
$$;
