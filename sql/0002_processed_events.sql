-- Ids of events already applied, written in the same transaction as their progress change: a
-- redelivered event (same id) is acknowledged without being applied again, also across restarts.
-- Kept for a retention window (EVENT_DEDUP_RETENTION_HOURS) and deleted in the background.
CREATE TABLE processed_events (
  event_id      text        PRIMARY KEY,
  processed_at  timestamptz NOT NULL DEFAULT now()
);

-- Rows arrive in processed_at order, so a BRIN index makes the retention delete cheap to find.
CREATE INDEX processed_events_processed_at ON processed_events USING brin (processed_at);
