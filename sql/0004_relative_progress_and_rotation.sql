-- Relative progress, as the original stores it: the stat's value a `relative` goal measures from
-- (NULL until the goal's first event, and again after a rotation period starts it over). `progress`
-- keeps the raw value; what the player sees is progress - baseline_value.
ALTER TABLE user_goal_progress ADD COLUMN IF NOT EXISTS baseline_value integer;

-- Rotating goals: the period (its first UTC day) the row's state belongs to. An explicit marker,
-- because updated_at moves with every write (activation, selection, initialize), and a period
-- change must be seen whatever wrote the row last.
ALTER TABLE user_goal_progress ADD COLUMN period_start date;

-- A claim belongs to the progress row it was earned on: when that row is deleted (an operator
-- resetting a player, a data erasure), its ledger entries go with it, so a goal earned again on a
-- new row can be claimed again. Entries already without a row are exactly such leftovers.
DELETE FROM reward_claims c
WHERE NOT EXISTS (SELECT 1 FROM user_goal_progress p WHERE p.user_id = c.user_id AND p.goal_id = c.goal_id);
ALTER TABLE reward_claims
  ADD CONSTRAINT reward_claims_progress_row FOREIGN KEY (user_id, goal_id)
  REFERENCES user_goal_progress (user_id, goal_id) ON DELETE CASCADE;
