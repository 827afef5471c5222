/**
 * The SQL of the admin routes: a player's rows with every stored field, and an admin's write of
 * one row. The write happens on a row locked `FOR UPDATE` in the caller's transaction, so it never
 * races the event flush: the flush writes a row only at the version (`xmin`) it read, and a row an
 * admin wrote has a new one, so a flush that read it before rolls back and folds again from the
 * admin's state; a flush that locks rows waits for the admin's commit.
 */
import type { EventProgress } from '../domain/progress.ts';
import type { ProgressRow } from '../domain/types.ts';
import type { Db } from './client.ts';
import { lockForWrite } from './progress-rows.ts';

/** A progress row with the fields only operators look at. */
export interface StoredProgress extends ProgressRow, EventProgress {
  readonly challengeId: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface RawStored {
  goal_id: string;
  challenge_id: string;
  progress: number;
  status: ProgressRow['status'];
  is_active: boolean;
  assigned_at: Date | null;
  expires_at: Date | null;
  completed_at: Date | null;
  claimed_at: Date | null;
  progress_day: string | null;
  last_event_at: Date | null;
  baseline_value: number | null;
  period_start: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = (db: Db) =>
  db`goal_id, challenge_id, progress, status, is_active, assigned_at, expires_at, completed_at,
     claimed_at, progress_day::text as progress_day, last_event_at, baseline_value,
     period_start::text as period_start, created_at, updated_at`;

const toStored = (raw: RawStored): StoredProgress => ({
  goalId: raw.goal_id,
  challengeId: raw.challenge_id,
  progress: raw.progress,
  status: raw.status,
  isActive: raw.is_active,
  assignedAt: raw.assigned_at,
  expiresAt: raw.expires_at,
  completedAt: raw.completed_at,
  claimedAt: raw.claimed_at,
  progressDay: raw.progress_day,
  lastEventAt: raw.last_event_at,
  baselineValue: raw.baseline_value,
  periodStart: raw.period_start,
  createdAt: raw.created_at,
  updatedAt: raw.updated_at,
});

/** All of a player's rows, of configured goals or not. */
export async function readStoredProgress(db: Db, userId: string): Promise<StoredProgress[]> {
  const rows = await db<RawStored[]>`
    select ${COLUMNS(db)} from user_goal_progress_current where user_id = ${userId} order by goal_id`;
  return rows.map(toStored);
}

/**
 * One row, locked for the rest of the transaction. With `create`, a missing row is first created
 * active and assigned at `now` (as an activation creates it), starting in `periodStart`.
 */
export async function lockStoredProgress(
  db: Db,
  key: { readonly userId: string; readonly goalId: string },
  create?: {
    readonly challengeId: string;
    readonly namespace: string;
    readonly periodStart: string | null;
    readonly expiresAt: Date | null;
    readonly now: Date;
  },
): Promise<StoredProgress | undefined> {
  if (create) {
    // A concurrent insert of the same key makes this one wait for it and then do nothing.
    await db`
      insert into user_goal_progress
        (user_id, goal_id, challenge_id, namespace, progress, status, is_active, assigned_at,
         expires_at, period_start, created_at, updated_at)
      values (${key.userId}, ${key.goalId}, ${create.challengeId}, ${create.namespace}, 0, 'not_started',
        true, ${create.now}, ${create.expiresAt}, ${create.periodStart}::date, ${create.now}, ${create.now})
      on conflict (user_id, goal_id) do nothing`;
  }
  const rows = await lockForWrite(
    db,
    key.userId,
    [key.goalId],
    () => db<RawStored[]>`select ${COLUMNS(db)} from user_goal_progress_current
      where user_id = ${key.userId} and goal_id = ${key.goalId}`,
  );
  const row = rows[0];
  return row ? toStored(row) : undefined;
}

/**
 * Writes an admin's new state over the row the caller locked. With `newEarning`, the row gets a new
 * `row_id`: the claims ledger then treats the goal's next completion as a new earning, claimable
 * once more under the next idempotency key (see db/reward-claims.ts), while a claim reserved on
 * the old earning stays what it was.
 */
export async function writeAdminProgress(
  db: Db,
  input: {
    readonly userId: string;
    readonly goalId: string;
    readonly state: EventProgress;
    /** Rotating goals: when the state's period ends; left as stored when null. */
    readonly expiresAt: Date | null;
    readonly newEarning: boolean;
    readonly now: Date;
  },
): Promise<void> {
  const { state } = input;
  const result = await db`
    update user_goal_progress set
      progress = ${state.progress}, status = ${state.status}, completed_at = ${state.completedAt},
      claimed_at = ${state.claimedAt}, progress_day = ${state.progressDay}::date,
      last_event_at = ${state.lastEventAt}, baseline_value = ${state.baselineValue},
      period_start = ${state.periodStart}::date, expires_at = coalesce(${input.expiresAt}, expires_at),
      row_id = case when ${input.newEarning} then gen_random_uuid() else row_id end,
      stat_code = null, updated_at = ${input.now}
    where user_id = ${input.userId} and goal_id = ${input.goalId}`;
  if (result.count !== 1) throw new Error(`admin write found no row (${input.userId}, ${input.goalId})`);
}
