-- Data erasure removes a player's processed event ids too, so each id records whose event it was.
-- Written by the event flush in its existing insert (one more array, no extra statement). Ids
-- recorded before this column have no user; they age out with EVENT_DEDUP_RETENTION_HOURS.
ALTER TABLE processed_events ADD COLUMN user_id text;
CREATE INDEX processed_events_user_id ON processed_events (user_id) WHERE user_id IS NOT NULL;

-- The background cleanup finds rows of rotating goals whose period ended long ago by their end
-- (`expires_at`, NULL for goals that do not rotate). The flush rewrites expires_at only when a row
-- enters a new period, so updates within a period still leave it unchanged and stay HOT.
CREATE INDEX IF NOT EXISTS idx_user_goal_progress_expires_at
  ON user_goal_progress (expires_at) WHERE expires_at IS NOT NULL;
