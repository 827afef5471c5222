-- Webhook delivery of the outbox (src/outbox/webhook-delivery.ts, src/db/outbox-delivery.ts).
--
-- Messages of one player go out one at a time, in (tx, id) order. Only a player's head (the oldest
-- message still to deliver) is deliverable: it alone has next_attempt_at set, to when it may be
-- tried (now, after a retry's backoff, or when a delivery's lease runs out). A message still to
-- deliver with next_attempt_at NULL waits behind an earlier one of its player, and is made the head
-- when that one is delivered or parked. So a replica looking for work reads only heads that are
-- due, however many messages wait behind heads that are failing.
--
-- New messages become heads at intake: one replica at a time reads the messages after this cursor
-- (commit-safe, as every outbox reader does) and makes each the head of its player unless an
-- earlier message of that player is still to deliver.
CREATE TABLE outbox_delivery_intake (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  tx       xid8    NOT NULL DEFAULT '0',
  id       bigint  NOT NULL DEFAULT 0
);
INSERT INTO outbox_delivery_intake DEFAULT VALUES;

CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at)
  WHERE delivered_at IS NULL AND parked_at IS NULL AND next_attempt_at IS NOT NULL;
-- Whether a player has an earlier message still to deliver, without reading their delivered history.
CREATE INDEX outbox_messages_user_pending ON outbox_messages (user_id, tx, id)
  WHERE delivered_at IS NULL AND parked_at IS NULL;
CREATE INDEX outbox_messages_parked ON outbox_messages (id) WHERE parked_at IS NOT NULL;
