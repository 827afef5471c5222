-- Relative progress, as the original stores it: the stat's value a `relative` goal measures from
-- (NULL until the goal's first event, and again after a rotation period starts it over). `progress`
-- keeps the raw value; what the player sees is progress - baseline_value.
ALTER TABLE user_goal_progress ADD COLUMN IF NOT EXISTS baseline_value integer;

-- Rotating goals: the period (its first UTC day) the row's state belongs to. An explicit marker,
-- because updated_at moves with every write (activation, selection, initialize), and a period
-- change must be seen whatever wrote the row last.
ALTER TABLE user_goal_progress ADD COLUMN period_start date;

-- A claim belongs to the progress row it was earned on. When that row is deleted (an operator
-- resetting a player, a data erasure) and the goal is assigned and earned again on a new row, the
-- old entry no longer applies: the new earning is claimed under the next `earning` number, whose
-- idempotency key differs (`…:2`), so a backend that de-duplicates by key grants it too. Rows are
-- told apart by `row_id`, set once when a row is created. Rows from before this column (and their
-- claims) have none, which still matches: only a row created later differs.
ALTER TABLE user_goal_progress ADD COLUMN row_id uuid;
ALTER TABLE user_goal_progress ALTER COLUMN row_id SET DEFAULT gen_random_uuid();
ALTER TABLE reward_claims ADD COLUMN row_id uuid;
ALTER TABLE reward_claims ADD COLUMN earning integer NOT NULL DEFAULT 1;
