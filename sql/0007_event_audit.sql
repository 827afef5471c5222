-- The audit trail: what each event did for its player, in the row the event already writes for
-- dedup (see src/db/event-audit.ts for the format). NULL for rows written while the audit is off.
ALTER TABLE processed_events ADD COLUMN audit jsonb;

-- Orders a player's entries newest first, also among entries of one flush (one processed_at).
-- Added without a default and given one afterwards, so existing rows are not rewritten.
CREATE SEQUENCE processed_events_seq;
ALTER TABLE processed_events ADD COLUMN seq bigint;
ALTER TABLE processed_events ALTER COLUMN seq SET DEFAULT nextval('processed_events_seq');
ALTER SEQUENCE processed_events_seq OWNED BY processed_events.seq;

-- A player's trail is read newest first; the same index finds the player's rows for erasure.
CREATE INDEX processed_events_user_time ON processed_events (user_id, processed_at) WHERE user_id IS NOT NULL;
DROP INDEX processed_events_user_id;
