/**
 * The SQL of the event flush. One shard flushes one batch in one transaction:
 * claim the batch's event ids (dedup), lock the affected active rows in key order, then write all
 * changed rows with a single UNNEST update. Rows are never created here (lazy materialisation).
 */
import type { ProgressState } from '../domain/progress.ts';
import type { Db } from './client.ts';

/**
 * Records event ids as processed; returns the ids that were NOT seen before. Ids already present
 * belong to redelivered events, which must be acknowledged without being applied again.
 */
export async function claimEventIds(db: Db, ids: readonly string[], now: Date): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const sorted = [...ids].sort();
  const rows = await db<{ event_id: string }[]>`
    insert into processed_events (event_id, processed_at)
    select id, ${now}::timestamptz from unnest(${sorted}::text[]) as id
    on conflict (event_id) do nothing
    returning event_id`;
  return new Set(rows.map((row) => row.event_id));
}

export interface LockedProgress extends ProgressState {
  readonly userId: string;
  readonly goalId: string;
}

export interface ProgressKey {
  readonly userId: string;
  readonly goalId: string;
  /** Daily goals reopen at 00:00 UTC, so even their completed or claimed rows can still change. */
  readonly reopens: boolean;
}

/**
 * Locks the rows among the given keys that events can still change, in key order: active, and not
 * yet completed or claimed unless the goal reopens. Completion is sticky, so skipping finished rows
 * here saves locking and shipping rows that would be written back unchanged.
 */
export async function lockActiveRows(db: Db, keys: readonly ProgressKey[]): Promise<LockedProgress[]> {
  if (keys.length === 0) return [];
  const rows = await db<
    {
      user_id: string;
      goal_id: string;
      progress: number;
      status: ProgressState['status'];
      completed_at: Date | null;
      claimed_at: Date | null;
      progress_day: string | null;
    }[]
  >`
    select t.user_id, t.goal_id, t.progress, t.status, t.completed_at, t.claimed_at, t.progress_day::text as progress_day
    from user_goal_progress t
    join unnest(
      ${keys.map((k) => k.userId)}::text[],
      ${keys.map((k) => k.goalId)}::text[],
      ${db.array(keys.map((k) => k.reopens))}::bool[]
    ) as k(user_id, goal_id, reopens)
      on t.user_id = k.user_id and t.goal_id = k.goal_id
    where t.is_active and (k.reopens or t.status in ('not_started', 'in_progress'))
    order by t.user_id, t.goal_id
    for update of t`;
  return rows.map((row) => ({
    userId: row.user_id,
    goalId: row.goal_id,
    progress: row.progress,
    status: row.status,
    completedAt: row.completed_at,
    claimedAt: row.claimed_at,
    progressDay: row.progress_day,
  }));
}

/** Writes changed rows in one statement, in key order. Still guarded by `is_active` (rows are locked). */
export async function writeProgressBatch(
  db: Db,
  rows: readonly LockedProgress[],
  now: Date,
): Promise<number> {
  if (rows.length === 0) return 0;
  const sorted = [...rows].sort((a, b) =>
    a.userId === b.userId ? (a.goalId < b.goalId ? -1 : 1) : a.userId < b.userId ? -1 : 1,
  );
  const result = await db`
    update user_goal_progress as t set
      progress = u.progress,
      status = u.status,
      completed_at = u.completed_at,
      claimed_at = u.claimed_at,
      progress_day = u.progress_day,
      updated_at = ${now}
    from unnest(
      ${sorted.map((r) => r.userId)}::text[],
      ${sorted.map((r) => r.goalId)}::text[],
      ${sorted.map((r) => r.progress)}::int[],
      ${sorted.map((r) => r.status)}::text[],
      ${db.array(sorted.map((r) => r.completedAt?.toISOString() ?? null))}::timestamptz[],
      ${db.array(sorted.map((r) => r.claimedAt?.toISOString() ?? null))}::timestamptz[],
      ${db.array(sorted.map((r) => r.progressDay))}::date[]
    ) as u(user_id, goal_id, progress, status, completed_at, claimed_at, progress_day)
    where t.user_id = u.user_id and t.goal_id = u.goal_id and t.is_active`;
  return result.count;
}

/** Deletes processed ids older than the retention window, a bounded number at a time. */
export async function deleteExpiredEventIds(db: Db, olderThan: Date, limit: number): Promise<number> {
  const result = await db`
    delete from processed_events where event_id in (
      select event_id from processed_events where processed_at < ${olderThan} limit ${limit}
    )`;
  return result.count;
}
