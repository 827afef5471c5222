-- A grant that fails leaves its ledger entry pending, without a lease, so the next claim repeats
-- it under the same idempotency key and earning number. A backend that refused it for good (a 4xx:
-- an unknown item, say) did not apply it, and repeating the same reward would fail for ever even
-- after the operator corrected the configuration: the next claim of a refused entry grants the
-- reward in force instead, still under the entry's key.
ALTER TABLE reward_claims ADD COLUMN refused_at timestamptz;
