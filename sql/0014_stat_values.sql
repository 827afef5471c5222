-- An event rewrote the row of every goal it advances that the player holds: ~17 rows per event on
-- the original's workload, where an `absolute` goal keeps following its stat (or counting logins)
-- until it is claimed. Those goals (`absolute`, absolute progress, not rotating) now take their
-- progress from one row per player and stat, written once per event; the goal's own row is
-- written when something else about it changes (it completes, is claimed, deactivated, …). A
-- player's logins are counted under the empty stat code, which no statistic goal can have.
--
-- A goal row follows the stat once the event flush has marked it (`stat_code`); `stat_seen` is the
-- stat's `seq` the row's stored state already includes, and `stat_base` how far the stat's value
-- is ahead of the goal's progress (0 for a statistic; for logins, those before the goal counted
-- them). While the row is active and not claimed, a stat newer than `stat_seen` is what the row
-- shows: `user_goal_progress_current` is the table as players see it, and what operators' SQL
-- should read. Rows never marked (every other kind of goal, and rows not written by an event since
-- this migration) show what they store.
CREATE SEQUENCE user_stat_seq AS bigint;

CREATE TABLE user_stat_values (
  user_id        text        NOT NULL,
  stat_code      text        NOT NULL,
  -- The newest event's value, as an absolute goal stores it (truncated, never negative).
  value          integer     NOT NULL,
  last_event_at  timestamptz NOT NULL,
  -- When the value was written: a row that follows it shows this as its `updated_at`.
  changed_at     timestamptz NOT NULL,
  -- From user_stat_seq, taken under the row's lock at every change, so it only grows.
  seq            bigint      NOT NULL,
  PRIMARY KEY (user_id, stat_code)
) WITH (fillfactor = 75);

ALTER TABLE user_goal_progress ADD COLUMN stat_code text;
ALTER TABLE user_goal_progress ADD COLUMN stat_seen bigint NOT NULL DEFAULT 0;
ALTER TABLE user_goal_progress ADD COLUMN stat_base integer NOT NULL DEFAULT 0;

-- Whether a marked row shows its stat rather than what it stores. One definition for the view and
-- the trigger below; the event flush applies the same rule (src/domain/stat-values.ts).
CREATE FUNCTION follows_stat(is_active boolean, status text, stat_seen bigint, seq bigint)
  RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT is_active AND status <> 'claimed' AND seq > stat_seen
$$;

-- The status a row following its stat shows: completion is sticky (and only ever written by the
-- flush, with its outbox message); below the target, the progress says whether it has started.
CREATE FUNCTION status_from_stat(status text, progress integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN status = 'completed' THEN 'completed' WHEN progress > 0 THEN 'in_progress'
    ELSE 'not_started' END
$$;

CREATE VIEW user_goal_progress_current AS
SELECT p.user_id, p.goal_id, p.challenge_id, p.namespace,
  CASE WHEN f.follows THEN s.value - p.stat_base ELSE p.progress END AS progress,
  CASE WHEN f.follows THEN status_from_stat(p.status, s.value - p.stat_base) ELSE p.status END AS status,
  p.is_active, p.assigned_at, p.expires_at, p.completed_at, p.claimed_at, p.progress_day,
  p.created_at,
  CASE WHEN f.follows THEN greatest(p.updated_at, s.changed_at) ELSE p.updated_at END AS updated_at,
  CASE WHEN f.follows THEN s.last_event_at ELSE p.last_event_at END AS last_event_at,
  p.baseline_value, p.period_start, p.row_id
FROM user_goal_progress p
LEFT JOIN user_stat_values s ON s.user_id = p.user_id AND s.stat_code = p.stat_code
CROSS JOIN LATERAL (
  SELECT coalesce(follows_stat(p.is_active, p.status, p.stat_seen, s.seq), false) AS follows
) AS f;

-- Any other write of a marked row (activation, a claim, selection) first takes over what the row
-- showed, then applies the writer's own changes: a column the writer left as stored gets the
-- stat's version of it. Writers that store a state of their own (the flush, an admin's write)
-- change `stat_code` or `stat_seen` themselves and are left alone.
CREATE FUNCTION user_goal_progress_take_stat() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  stat record;
BEGIN
  SELECT s.value, s.last_event_at, s.changed_at, s.seq INTO stat
  FROM user_stat_values s WHERE s.user_id = OLD.user_id AND s.stat_code = OLD.stat_code;
  IF NOT FOUND OR stat.seq <= OLD.stat_seen THEN
    RETURN NEW;
  END IF;
  IF follows_stat(OLD.is_active, OLD.status, OLD.stat_seen, stat.seq) THEN
    IF NEW.progress = OLD.progress THEN
      NEW.progress := stat.value - OLD.stat_base;
    END IF;
    IF NEW.status = OLD.status THEN
      NEW.status := status_from_stat(OLD.status, stat.value - OLD.stat_base);
    END IF;
    IF NEW.last_event_at IS NOT DISTINCT FROM OLD.last_event_at THEN
      NEW.last_event_at := stat.last_event_at;
    END IF;
  END IF;
  -- A row that did not follow (inactive, claimed) does not take up what changed meanwhile either.
  NEW.stat_seen := stat.seq;
  RETURN NEW;
END;
$$;

CREATE TRIGGER user_goal_progress_take_stat BEFORE UPDATE ON user_goal_progress
  FOR EACH ROW WHEN (
    OLD.stat_code IS NOT NULL
    AND NEW.stat_code IS NOT DISTINCT FROM OLD.stat_code
    AND NEW.stat_seen = OLD.stat_seen
  ) EXECUTE FUNCTION user_goal_progress_take_stat();
