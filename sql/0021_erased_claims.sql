-- A player's erasure deletes their claims ledger (0006), and with it the earning numbers that make
-- each grant's idempotency key new: without them, a player who comes back and earns a goal again
-- would be granted under the erased claim's key, which a backend that de-duplicates by key drops.
-- So the erasure keeps, per erased ledger entry, a digest of the claim (namespace, player, goal,
-- period) and its earning number, and nothing else about the player: a claim with no ledger entry
-- continues after the erased earning. The digest is a pseudonym, not an anonymisation: whoever
-- knows a player's id can tell whether that player had claimed a goal.
CREATE FUNCTION claim_digest(namespace text, user_id text, goal_id text, period text)
  RETURNS bytea LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT sha256(convert_to(json_build_array(namespace, user_id, goal_id, period)::text, 'UTF8'))
$$;

CREATE TABLE erased_claims (
  digest  bytea   PRIMARY KEY,
  earning integer NOT NULL
);
