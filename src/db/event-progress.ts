/**
 * The SQL of the event flush. One shard flushes one batch in one transaction: claim the batch's
 * event ids (dedup), read the affected active rows, then write all changed rows with a single
 * UNNEST update guarded on the row versions read. Rows are never created here (lazy materialisation).
 */
import type { EventProgress } from '../domain/progress.ts';
import type { StatMark } from '../domain/stat-values.ts';
import type { Db } from './client.ts';

/**
 * Records event ids as processed; returns the ids that were NOT seen before. Ids already present
 * belong to redelivered events, which must be acknowledged without being applied again.
 * `userOf` names each id's player, so a data erasure can find the player's ids.
 */
export async function claimEventIds(
  db: Db,
  ids: readonly string[],
  now: Date,
  userOf?: ReadonlyMap<string, string>,
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const sorted = [...ids].sort();
  const users = sorted.map((id) => userOf?.get(id) ?? null);
  const rows = await db<{ event_id: string }[]>`
    insert into processed_events (event_id, user_id, processed_at)
    select id, user_id, ${now}::timestamptz
    from unnest(${sorted}::text[], ${db.array(users)}::text[]) as e(id, user_id)
    on conflict (event_id) do nothing
    returning event_id`;
  return new Set(rows.map((row) => row.event_id));
}

/** A progress row as the flush read it, or its new state to be written over exactly that version. */
export interface VersionedProgress extends EventProgress {
  readonly userId: string;
  readonly goalId: string;
  /**
   * The row version read (its `xmin`): every update of a row, by any writer, gives it a new one, so
   * a write guarded on it applies only to the exact state the events were folded onto.
   */
  readonly version: string;
}

/** A row as the flush read it, as stored: `isActive` false only when every row was asked for. */
export interface ReadProgress extends VersionedProgress, StatMark {}

/** A row's new state, to be written over the version read. */
export interface ProgressWrite extends VersionedProgress {
  readonly expiresAt: Date | null;
  /**
   * The stat the row follows from now on (domain/stat-values.ts), null for a row that stores its
   * own progress; a row that follows gets the stat's current `seq` as the one it includes.
   */
  readonly statCode: string | null;
  /** How far the stat's value is ahead of the row's progress while it follows. */
  readonly statBase: number;
}

/**
 * The (user, goal) keys a batch may change, in compact form: every user of a group with every goal
 * of the group. A group is the users with events of one kind (logins, or one stat code) and the
 * goals that kind of event advances.
 */
export interface ProgressKeyGroup {
  readonly userIds: readonly string[];
  readonly goalIds: readonly string[];
}

/**
 * Reads the rows among the groups' keys that events can still change: active, and not claimed
 * unless the goal reopens (daily goals at 00:00 UTC, reselectable rotating goals each period).
 * Claimed rows are final otherwise, so skipping them saves shipping rows that would not change.
 * With `everyRow`, inactive and claimed rows are read too: the audit says why they did not move.
 *
 * With `lock`, the rows are locked `FOR UPDATE` in group order, then (user, goal) within a group.
 * A goal belongs to one group, so flushers that list groups in the same order lock any two rows in
 * the same order.
 *
 * The groups are sent as two flat arrays plus slice bounds rather than as expanded (user, goal)
 * pairs: a batch's pairs are ~100 times its events, and shipping and joining them dominated the
 * flush. The LATERAL subquery makes the plan one primary-key scan per group (both columns as
 * `= any(...)` index conditions), whatever the planner estimates for the arrays. That holds only
 * while the subquery stays a subquery: PostgreSQL pulls a plain one up into the outer join, and
 * then, on a table not yet analysed (a fresh database filling up), prefers a sequential scan
 * filtered by every group — seconds instead of milliseconds. `FOR UPDATE` or `OFFSET 0` keeps it
 * from being pulled up.
 */
export async function readChangeableRows(
  db: Db,
  groups: readonly ProgressKeyGroup[],
  reopeningGoalIds: readonly string[],
  options: { readonly lock: boolean; readonly everyRow?: boolean },
): Promise<ReadProgress[]> {
  const userIds: string[] = [];
  const goalIds: string[] = [];
  const userFrom: number[] = [];
  const userTo: number[] = [];
  const goalFrom: number[] = [];
  const goalTo: number[] = [];
  for (const group of groups) {
    if (group.userIds.length === 0 || group.goalIds.length === 0) continue;
    userFrom.push(userIds.length + 1);
    userIds.push(...group.userIds);
    userTo.push(userIds.length);
    goalFrom.push(goalIds.length + 1);
    goalIds.push(...group.goalIds);
    goalTo.push(goalIds.length);
  }
  if (userIds.length === 0) return [];
  const rows = await db<
    {
      user_id: string;
      goal_id: string;
      progress: number;
      status: EventProgress['status'];
      completed_at: Date | null;
      claimed_at: Date | null;
      progress_day: string | null;
      last_event_at: Date | null;
      baseline_value: number | null;
      period_start: string | null;
      is_active: boolean;
      stat_code: string | null;
      stat_seen: string;
      stat_base: number;
      version: string;
    }[]
  >`
    select t.* from unnest(${userFrom}::int[], ${userTo}::int[], ${goalFrom}::int[], ${goalTo}::int[])
      as g(user_from, user_to, goal_from, goal_to)
    cross join lateral (
      select p.user_id, p.goal_id, p.progress, p.status, p.completed_at, p.claimed_at,
        p.progress_day::text as progress_day, p.last_event_at, p.baseline_value,
        p.period_start::text as period_start, p.is_active, p.stat_code, p.stat_seen::text as stat_seen,
        p.stat_base,
        p.xmin::text as version
      from user_goal_progress p
      where p.user_id = any((${userIds}::text[])[g.user_from:g.user_to])
        and p.goal_id = any((${goalIds}::text[])[g.goal_from:g.goal_to])
        ${
          options.everyRow
            ? db``
            : db`and p.is_active
        and (p.status <> 'claimed' or p.goal_id = any(${reopeningGoalIds as string[]}::text[]))`
        }
      ${options.lock ? db`order by p.user_id, p.goal_id for update` : db`offset 0`}
    ) as t`;
  return rows.map((row) => ({
    userId: row.user_id,
    goalId: row.goal_id,
    progress: row.progress,
    status: row.status,
    completedAt: row.completed_at,
    claimedAt: row.claimed_at,
    progressDay: row.progress_day,
    lastEventAt: row.last_event_at,
    baselineValue: row.baseline_value,
    periodStart: row.period_start,
    isActive: row.is_active,
    statCode: row.stat_code,
    statSeen: BigInt(row.stat_seen),
    statBase: row.stat_base,
    version: row.version,
  }));
}

/**
 * Writes changed rows in one statement, in key order, each only if it is still active and at the
 * version it was read at. Stats this flush writes must be written before (sent first): a row that
 * follows one takes the stat's new `seq`. Returns how many were written: fewer than given means another writer
 * changed some of the rows since they were read (never the case for rows read with `lock`).
 */
export async function writeProgressBatch(db: Db, rows: readonly ProgressWrite[], now: Date): Promise<number> {
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
      last_event_at = u.last_event_at,
      baseline_value = u.baseline_value,
      period_start = u.period_start,
      expires_at = coalesce(u.expires_at, t.expires_at),
      stat_code = u.stat_code,
      stat_base = u.stat_base,
      stat_seen = case when u.stat_code is null then 0 else coalesce(
        (select s.seq from user_stat_values s where s.user_id = t.user_id and s.stat_code = u.stat_code), 0)
        end,
      updated_at = ${now}
    from unnest(
      ${sorted.map((r) => r.userId)}::text[],
      ${sorted.map((r) => r.goalId)}::text[],
      ${sorted.map((r) => r.progress)}::int[],
      ${sorted.map((r) => r.status)}::text[],
      ${db.array(sorted.map((r) => r.completedAt?.toISOString() ?? null))}::timestamptz[],
      ${db.array(sorted.map((r) => r.claimedAt?.toISOString() ?? null))}::timestamptz[],
      ${db.array(sorted.map((r) => r.progressDay))}::date[],
      ${db.array(sorted.map((r) => r.lastEventAt?.toISOString() ?? null))}::timestamptz[],
      ${db.array(sorted.map((r) => r.baselineValue))}::int[],
      ${db.array(sorted.map((r) => r.periodStart))}::date[],
      ${db.array(sorted.map((r) => r.expiresAt?.toISOString() ?? null))}::timestamptz[],
      ${db.array(sorted.map((r) => r.statCode))}::text[],
      ${sorted.map((r) => r.statBase)}::int[],
      ${sorted.map((r) => r.version)}::text[]
    ) as u(user_id, goal_id, progress, status, completed_at, claimed_at, progress_day, last_event_at,
      baseline_value, period_start, expires_at, stat_code, stat_base, version)
    where t.user_id = u.user_id and t.goal_id = u.goal_id and t.is_active and t.xmin = u.version::xid`;
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
