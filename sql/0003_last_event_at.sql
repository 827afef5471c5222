-- Time of the newest event applied to a row (the platform's own event timestamp when plausible, else
-- when it was received). An `absolute` statistic goal keeps the value of the newest event, so an
-- older event that is redelivered after a newer one was applied cannot overwrite it.
ALTER TABLE user_goal_progress ADD COLUMN last_event_at timestamptz;
