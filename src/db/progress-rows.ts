/**
 * Reads and assignment writes on `user_goal_progress`. Event-driven progress writes live in the
 * flush. Reads go through `user_goal_progress_current`, the rows as players see them: a goal that
 * follows its stat shows the stat's latest value (sql/0014_stat_values.sql).
 */

import type postgres from 'postgres';
import type { ProgressRow, ProgressState } from '../domain/types.ts';
import type { Db } from './client.ts';
import { isUniqueViolation } from './db-errors.ts';
import { takeOverStats } from './stat-values.ts';

export interface RawState {
  goal_id: string;
  progress: number;
  status: ProgressState['status'];
  is_active: boolean;
  expires_at: Date | null;
  completed_at: Date | null;
  claimed_at: Date | null;
  progress_day: string | null;
  baseline_value: number | null;
  period_start: string | null;
}

export interface RawRow extends RawState {
  assigned_at: Date | null;
}

export const toState = (raw: RawState): ProgressState => ({
  goalId: raw.goal_id,
  progress: raw.progress,
  status: raw.status,
  isActive: raw.is_active,
  expiresAt: raw.expires_at,
  completedAt: raw.completed_at,
  claimedAt: raw.claimed_at,
  progressDay: raw.progress_day,
  baselineValue: raw.baseline_value,
  periodStart: raw.period_start,
});

export const toRow = (raw: RawRow): ProgressRow => ({ ...toState(raw), assignedAt: raw.assigned_at });

/**
 * Column lists shared by the reads, so a state or a row always maps the same way. Reads return
 * only what callers use: the player id is the query's parameter, the challenge comes from the
 * catalog, and the assignment time is read only for answers that show it. The challenge list reads
 * every row of a player per request, and each value costs PostgreSQL to format and the driver to
 * decode (a timestamp most of all).
 */
export const STATE_COLUMNS = (db: Db) =>
  db`goal_id, progress, status, is_active, expires_at, completed_at, claimed_at,
     progress_day::text as progress_day, baseline_value, period_start::text as period_start`;
export const ROW_COLUMNS = (db: Db) => db`${STATE_COLUMNS(db)}, assigned_at`;

/** All of a player's rows (active and inactive) with assignment times: one primary-key range read. */
export async function getUserProgress(db: Db, userId: string): Promise<ProgressRow[]> {
  const rows = await db<RawRow[]>`
    select ${ROW_COLUMNS(db)} from user_goal_progress_current where user_id = ${userId}`;
  return rows.map(toRow);
}

/** All of a player's progress (active and inactive): one primary-key range read. */
export async function getProgressStates(db: Db, userId: string): Promise<ProgressState[]> {
  const rows = await db<RawState[]>`
    select ${STATE_COLUMNS(db)} from user_goal_progress_current where user_id = ${userId}`;
  return rows.map(toState);
}

/** A player's progress on active goals only, served by the partial index on active rows. */
export async function getActiveProgressStates(db: Db, userId: string): Promise<ProgressState[]> {
  const rows = await db<RawState[]>`
    select ${STATE_COLUMNS(db)} from user_goal_progress_current where user_id = ${userId} and is_active`;
  return rows.map(toState);
}

/**
 * One player's progress on one goal, locked for the rest of the transaction (claims serialise on
 * it), with its `row_id`, which tells one row of a goal from a later one.
 */
export async function lockProgressState(
  db: Db,
  userId: string,
  goalId: string,
): Promise<(ProgressState & { readonly rowId: string | null }) | undefined> {
  const rows = await lockForWrite(
    db,
    userId,
    [goalId],
    () => db<(RawState & { row_id: string | null })[]>`
      select ${STATE_COLUMNS(db)}, row_id from user_goal_progress_current
      where user_id = ${userId} and goal_id = ${goalId}`,
  );
  const row = rows[0];
  return row ? { ...toState(row), rowId: row.row_id } : undefined;
}

export interface Assignment {
  readonly goalId: string;
  readonly challengeId: string;
  /** Rotating goals: when the current period ends, and which period the new row starts in. */
  readonly expiresAt?: Date | null;
  readonly periodStart?: string | null;
}

/**
 * Creates active, not-started rows for the assignments the player has no row for, and returns the
 * goal ids this call created. Concurrent calls never both create (and so never both report) a row.
 *
 * The caller has just read that these rows are missing, so a plain INSERT is tried first: with
 * `ON CONFLICT` PostgreSQL inserts each row speculatively and confirms it in a second step, which
 * made a new player's ~100 rows cost about a third more. Only a racing call, which created some of
 * the rows since the read, makes it fail; the statement then left nothing behind (no row, no
 * outbox message), and the `ON CONFLICT` form inserts what is still missing.
 */
export async function insertAssignments(
  db: Db,
  userId: string,
  namespace: string,
  assignments: readonly Assignment[],
  now: Date,
): Promise<string[]> {
  if (assignments.length === 0) return [];
  const goalIds = assignments.map((assignment) => assignment.goalId);
  const challengeIds = assignments.map((assignment) => assignment.challengeId);
  const expiresAt = assignments.map((assignment) => assignment.expiresAt?.toISOString() ?? null);
  const periodStart = assignments.map((assignment) => assignment.periodStart ?? null);
  const insert = (onConflict: postgres.Fragment) => db<{ goal_id: string }[]>`
    insert into user_goal_progress as t
      (user_id, goal_id, challenge_id, namespace, progress, status, is_active, assigned_at,
       expires_at, period_start, created_at, updated_at)
    select ${userId}, goal_id, challenge_id, ${namespace}, 0, 'not_started', true, ${now},
      expires_at, period_start, ${now}, ${now}
    from unnest(${goalIds}::text[], ${challengeIds}::text[], ${db.array(expiresAt)}::timestamptz[],
      ${db.array(periodStart)}::date[]) as a(goal_id, challenge_id, expires_at, period_start)
    order by goal_id
    ${onConflict}
    returning goal_id`;
  let rows: { goal_id: string }[];
  try {
    rows = await insert(db``);
  } catch (error) {
    if (!isUniqueViolation(error, 'user_goal_progress_pkey')) throw error;
    rows = await insert(db`on conflict (user_id, goal_id) do nothing`);
  }
  return rows.map((row) => row.goal_id);
}

export interface ActiveState {
  readonly isActive: boolean;
  readonly assignedAt: Date | null;
}

/**
 * Activates or deactivates one goal for a player. Activation creates the row when missing
 * (progress 0, not started) or flips the flag keeping progress, and sets `assigned_at`;
 * deactivation keeps `assigned_at` and progress.
 */
export async function setGoalActive(
  db: Db,
  input: {
    userId: string;
    namespace: string;
    goalId: string;
    challengeId: string;
    isActive: boolean;
    now: Date;
  },
): Promise<ActiveState> {
  const { userId, namespace, goalId, challengeId, isActive, now } = input;
  const assignedAt = isActive ? now : null;
  // One statement, with the takeover of the row's stat (db/stat-values.ts) first: the insert's
  // condition reads the CTE, so it runs before the row is locked.
  const rows = await db<{ is_active: boolean; assigned_at: Date | null }[]>`
    with taken as materialized (
      update user_stat_values s set takeovers = s.takeovers + 1
      from user_goal_progress p
      where p.user_id = ${userId} and p.goal_id = ${goalId}
        and s.user_id = p.user_id and s.stat_code = p.stat_code
      returning 1
    )
    insert into user_goal_progress as t
      (user_id, goal_id, challenge_id, namespace, progress, status, is_active, assigned_at, created_at, updated_at)
    select ${userId}, ${goalId}, ${challengeId}, ${namespace}, 0, 'not_started', ${isActive}, ${assignedAt}, ${now}, ${now}
    where (select count(*) from taken) >= 0
    on conflict (user_id, goal_id) do update set
      is_active = excluded.is_active,
      assigned_at = case when excluded.is_active then excluded.assigned_at else t.assigned_at end,
      updated_at = excluded.updated_at
    returning is_active, assigned_at`;
  const row = rows[0];
  if (!row) throw new Error('upsert returned no row');
  return { isActive: row.is_active, assignedAt: row.assigned_at };
}

/** The completion a claim was for, on the row (`row_id`) and in the rotation period it was earned in. */
export interface EarnedCompletion {
  readonly rowId: string;
  readonly periodStart: string;
  readonly progress: number;
  readonly baselineValue: number | null;
  readonly completedAt: Date;
}

/**
 * Marks a completed goal claimed for the claim's period only; false when the row is not that
 * completion any more. `progressDay` is the UTC day a daily goal's claim is for (null for other
 * goals): a grant that finishes after 00:00 UTC must not claim a completion of the next day.
 * A claim of a rotating goal for once and for all (`earnedOn`) marks the row it was earned on
 * also when a later rotation period started it over meanwhile, with the completion back: claimed
 * first, the row would have stayed claimed through the new period.
 */
export async function markClaimed(
  db: Db,
  input: {
    userId: string;
    goalId: string;
    /** Daily goals: the UTC day claimed; only that day's completion is marked. */
    progressDay: string | null;
    /**
     * Reselectable rotating goals: the period claimed (its name, and when it ends). A row still in
     * that period, or in an earlier one whose completion carried over, is marked and stamped with
     * it, and expires with it; a row already in a later period is left alone (its completion
     * belongs to that period). Stored names compare as days, so a name stored under a shorter
     * schedule than today's still counts as the period it falls in.
     */
    period: { readonly start: string; readonly endsAt: Date } | null;
    /** A rotating goal's claim for once and for all: the row, period and completion it was for. */
    earnedOn?: EarnedCompletion | null;
    now: Date;
  },
): Promise<boolean> {
  const earned = input.earnedOn ?? null;
  const periodStart = input.period?.start ?? null;
  const dayAfter = input.period ? input.period.endsAt.toISOString().slice(0, 10) : null;
  // In SET, `status` is the row's status before this update.
  const rows = await db`
    update user_goal_progress set status = 'claimed', claimed_at = ${input.now}, updated_at = ${input.now},
      period_start = coalesce(${periodStart}::date, period_start),
      expires_at = coalesce(${input.period?.endsAt ?? null}::timestamptz, expires_at),
      progress = case when status = 'completed' then progress else ${earned?.progress ?? 0} end,
      baseline_value = case when status = 'completed' then baseline_value else ${earned?.baselineValue ?? null}::int end,
      completed_at = case when status = 'completed' then completed_at else ${earned?.completedAt ?? null}::timestamptz end
    where user_id = ${input.userId} and goal_id = ${input.goalId}
      and (status = 'completed'
          and (${input.progressDay}::date is null or progress_day = ${input.progressDay}::date)
          and (${dayAfter}::date is null or period_start is null or period_start < ${dayAfter}::date)
        or status <> 'claimed' and row_id = ${earned?.rowId ?? null}::uuid
          and period_start > ${earned?.periodStart ?? null}::date)
    returning 1`;
  return rows.length === 1;
}

/**
 * For a writer other than the event flush: locks the player's rows among `goalIds` in key order,
 * after taking over the stats they follow (db/stat-values.ts), then reads them as players see them
 * with `read`, three statements in one round trip. The view joins the stats, and an outer join's
 * other side cannot be locked, so the locks are statements of their own; the read, sent right
 * behind them, starts after they are held and sees the newest committed state.
 */
export async function lockForWrite<T>(
  db: Db,
  userId: string,
  goalIds: readonly string[],
  read: () => PromiseLike<T>,
): Promise<T> {
  const [, , rows] = await Promise.all([
    takeOverStats(db, userId, goalIds),
    db`select 1 from user_goal_progress
      where user_id = ${userId} and goal_id = any(${goalIds as string[]}::text[])
      order by goal_id
      for update`,
    read(),
  ]);
  return rows;
}

/** Writes a progress row's event-driven state; for tests and tools that set up progress directly. */
export async function writeProgressState(
  db: Db,
  input: {
    userId: string;
    goalId: string;
    progress: number;
    status: ProgressRow['status'];
    completedAt: Date | null;
    claimedAt?: Date | null;
    progressDay?: string | null;
    now: Date;
  },
): Promise<void> {
  await db`
    update user_goal_progress set
      progress = ${input.progress}, status = ${input.status}, completed_at = ${input.completedAt},
      claimed_at = ${input.claimedAt ?? null}, progress_day = ${input.progressDay ?? null}::date,
      stat_code = null, updated_at = ${input.now}
    where user_id = ${input.userId} and goal_id = ${input.goalId}`;
}
