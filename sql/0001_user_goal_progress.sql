-- Per-player progress, one row per assigned goal. Rows exist only for goals a player was assigned
-- (initialize defaults, activation); event processing updates rows and never creates them.
CREATE TABLE user_goal_progress (
  user_id       text        NOT NULL,
  goal_id       text        NOT NULL,
  challenge_id  text        NOT NULL,
  namespace     text        NOT NULL CHECK (char_length(namespace) <= 100),
  progress      integer     NOT NULL DEFAULT 0,
  status        text        NOT NULL DEFAULT 'not_started',
  is_active     boolean     NOT NULL DEFAULT true,
  assigned_at   timestamptz,
  expires_at    timestamptz,
  completed_at  timestamptz,
  claimed_at    timestamptz,
  -- UTC day of the last counted event for per-day goals (`daily`, `increment` with `daily`):
  -- makes "once per UTC day" and "reopens at 00:00 UTC" exact without relying on updated_at,
  -- which every write (activation, initialize) also touches.
  progress_day  date,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, goal_id),
  CONSTRAINT check_status CHECK (status IN ('not_started', 'in_progress', 'completed', 'claimed')),
  CONSTRAINT check_progress_non_negative CHECK (progress >= 0),
  CONSTRAINT check_claimed_implies_completed CHECK (claimed_at IS NULL OR completed_at IS NOT NULL)
);

-- The returning-player initialize read and active_only listings touch only a player's active rows.
CREATE INDEX user_goal_progress_active_by_user ON user_goal_progress (user_id) WHERE is_active;

-- Claims ledger: the durable record that makes a reward grant happen once per goal and period.
-- A claim reserves its row here (status 'pending', with a lease) in a short transaction, calls the
-- reward backend with no lock or connection held, then marks it 'granted' together with the progress
-- row. The idempotency key is stable across retries, so a retry after a crash between grant and
-- commit asks the backend for the same grant again instead of a new one.
CREATE TABLE reward_claims (
  user_id          text        NOT NULL,
  goal_id          text        NOT NULL,
  -- 'once' for one-time goals; the UTC day for `daily` goals, which can be claimed once per day.
  period           text        NOT NULL,
  challenge_id     text        NOT NULL,
  namespace        text        NOT NULL,
  idempotency_key  text        NOT NULL UNIQUE,
  reward           jsonb       NOT NULL,
  status           text        NOT NULL,
  -- A pending claim whose lease has run out belongs to a request that died; the next claim retries it.
  lease_token      uuid,
  lease_until      timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  granted_at       timestamptz,
  PRIMARY KEY (user_id, goal_id, period),
  CONSTRAINT check_claim_status CHECK (status IN ('pending', 'granted')),
  CONSTRAINT check_granted_at CHECK ((status = 'granted') = (granted_at IS NOT NULL))
);
