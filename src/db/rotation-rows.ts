/**
 * The /initialize catch-up for rotating goals: a returning player's rows whose rotation period
 * changed are written as rolled over (domain/rollover.ts), so the stored row stops carrying the
 * last period's baseline, status, completion and claim.
 */
import type { GoalStatus, ProgressRow } from '../domain/types.ts';
import type { Db } from './client.ts';
import { type RawRow, ROW_COLUMNS, toRow } from './progress-rows.ts';

/** A row with its version (`xmin`): any write by anyone gives the row a new one. */
export interface VersionedRow extends ProgressRow {
  readonly version: string;
}

/**
 * All of a player's rows as they show (`getUserProgress`), with their stored versions: the view
 * has no row versions, so the table's primary-key range is read beside it.
 */
export async function getVersionedUserProgress(db: Db, userId: string): Promise<VersionedRow[]> {
  const rows = await db<(RawRow & { version: string })[]>`
    select c.*, p.xmin::text as version
    from (select user_id, ${ROW_COLUMNS(db)} from user_goal_progress_current where user_id = ${userId}) as c
    join user_goal_progress p on p.user_id = c.user_id and p.goal_id = c.goal_id`;
  return rows.map((raw) => ({ ...toRow(raw), version: raw.version }));
}

export interface RolledOverRow {
  readonly goalId: string;
  /** The version the row was read at; the write applies only over exactly that state. */
  readonly version: string;
  readonly progress: number;
  readonly status: GoalStatus;
  readonly baselineValue: number | null;
  readonly completedAt: Date | null;
  readonly claimedAt: Date | null;
  readonly periodStart: string;
  readonly expiresAt: Date;
}

/**
 * Writes the rolled-over rows in one statement, in key order, each only if it is still at the
 * version read. A row another writer changed meanwhile (an event flush that already rolled it
 * over and counted an event, a claim, an activation) is left as that writer left it: the flush
 * folds events through the same rollover, and every reader applies it again, so skipping the
 * write loses nothing. Returns how many rows were written.
 */
export async function writeRolledOverRows(
  db: Db,
  userId: string,
  rows: readonly RolledOverRow[],
  now: Date,
): Promise<number> {
  if (rows.length === 0) return 0;
  const sorted = [...rows].sort((a, b) => (a.goalId < b.goalId ? -1 : 1));
  const result = await db`
    update user_goal_progress as t set
      progress = u.progress,
      status = u.status,
      baseline_value = u.baseline_value,
      completed_at = u.completed_at,
      claimed_at = u.claimed_at,
      period_start = u.period_start,
      expires_at = u.expires_at,
      stat_code = null, -- rotating goals never follow a stat (domain/stat-values.ts)
      updated_at = ${now}
    from unnest(
      ${sorted.map((r) => r.goalId)}::text[],
      ${sorted.map((r) => r.progress)}::int[],
      ${sorted.map((r) => r.status)}::text[],
      ${db.array(sorted.map((r) => r.baselineValue))}::int[],
      ${db.array(sorted.map((r) => r.completedAt?.toISOString() ?? null))}::timestamptz[],
      ${db.array(sorted.map((r) => r.claimedAt?.toISOString() ?? null))}::timestamptz[],
      ${sorted.map((r) => r.periodStart)}::date[],
      ${sorted.map((r) => r.expiresAt.toISOString())}::timestamptz[],
      ${sorted.map((r) => r.version)}::text[]
    ) as u(goal_id, progress, status, baseline_value, completed_at, claimed_at, period_start,
      expires_at, version)
    where t.user_id = ${userId} and t.goal_id = u.goal_id and t.xmin = u.version::xid`;
  return result.count;
}
