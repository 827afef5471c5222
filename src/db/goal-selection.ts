/**
 * The writes of batch and random selection, run inside one transaction of the caller.
 *
 * Why a lock before the row locks: a selection reads which goals are active and then writes, and
 * the rows it must see may not exist yet. Row locks cannot cover a row another selection is about
 * to insert, so two replacing selections of one player could each miss the other's new rows (and
 * leave both sets active), or lock in opposite orders once some rows exist. The advisory lock
 * (per player and challenge, released at commit) makes selections of one player in one challenge
 * take turns. The stats the rows follow, then the rows, are then locked in key order, the order
 * the event flush locks them in, so a selection and a flush wait for each other instead of
 * deadlocking.
 */
import type { ProgressRow } from '../domain/types.ts';
import type { Db } from './client.ts';
import { lockForWrite, type RawRow, ROW_COLUMNS, toRow } from './progress-rows.ts';

/** Waits until no other selection of this player in this challenge is running; held until commit. */
export async function lockSelection(db: Db, userId: string, challengeId: string): Promise<void> {
  // Two int4 keys: hash collisions only make unrelated selections take turns.
  await db`select pg_advisory_xact_lock(hashtext(${userId}), hashtext(${challengeId}))`;
}

/** The player's rows among `goalIds`, locked in key order for the rest of the transaction. */
export async function lockProgressRows(
  db: Db,
  userId: string,
  goalIds: readonly string[],
): Promise<ProgressRow[]> {
  const rows = await lockForWrite(
    db,
    userId,
    goalIds,
    () => db<RawRow[]>`select ${ROW_COLUMNS(db)} from user_goal_progress_current
      where user_id = ${userId} and goal_id = any(${goalIds as string[]}::text[])`,
  );
  return rows.map(toRow);
}

/** The player's rows among `goalIds`, not locked (prerequisites in other challenges, read-backs). */
export async function getProgressRows(
  db: Db,
  userId: string,
  goalIds: readonly string[],
): Promise<ProgressRow[]> {
  if (goalIds.length === 0) return [];
  const rows = await db<RawRow[]>`
    select ${ROW_COLUMNS(db)} from user_goal_progress_current
    where user_id = ${userId} and goal_id = any(${goalIds as string[]}::text[])`;
  return rows.map(toRow);
}

/** Deactivates the goals, keeping their progress and assignment time (as single deactivation does). */
export async function deactivateGoals(
  db: Db,
  userId: string,
  goalIds: readonly string[],
  now: Date,
): Promise<void> {
  if (goalIds.length === 0) return;
  await db`
    update user_goal_progress set is_active = false, updated_at = ${now}
    where user_id = ${userId} and goal_id = any(${goalIds as string[]}::text[]) and is_active`;
}

/**
 * Activates the goals of one challenge: a missing row is created not started, an inactive row is
 * switched on keeping its progress and status, and both get `assigned_at = now`. An active row is
 * not written. `goalIds` must not repeat an id (one statement cannot upsert a row twice).
 */
export async function activateGoals(
  db: Db,
  input: {
    userId: string;
    namespace: string;
    challengeId: string;
    goalIds: readonly string[];
    now: Date;
  },
): Promise<void> {
  const { userId, namespace, challengeId, goalIds, now } = input;
  if (goalIds.length === 0) return;
  await db`
    insert into user_goal_progress as t
      (user_id, goal_id, challenge_id, namespace, progress, status, is_active, assigned_at, created_at, updated_at)
    select ${userId}, goal_id, ${challengeId}, ${namespace}, 0, 'not_started', true, ${now}, ${now}, ${now}
    from unnest(${goalIds as string[]}::text[]) as a(goal_id)
    order by goal_id
    on conflict (user_id, goal_id) do update set
      is_active = true, assigned_at = excluded.assigned_at, updated_at = excluded.updated_at
    where not t.is_active`;
}
