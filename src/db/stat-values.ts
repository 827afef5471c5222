/**
 * `user_stat_values`: each player's latest value per stat, which goals that follow their stat show
 * (domain/stat-values.ts, sql/0014_stat_values.sql). Only the event flush writes its value; other
 * writers of a goal row that follows a stat count their takeover on it (`takeOverStats`).
 */
import type { StatValue } from '../domain/stat-values.ts';
import type { Db } from './client.ts';

export interface StatKey {
  readonly userId: string;
  readonly statCode: string;
}

/** A key as one string, for maps. */
export const statKeyOf = (key: StatKey): string => `${key.userId}\u0000${key.statCode}`;

/** A stat as read: the version a write over it is guarded on is its `seq` and `takeovers`. */
export interface StoredStat extends StatValue {
  readonly takeovers: bigint;
}

/** The version of a stat a write applies over. */
export type StatVersion = Pick<StoredStat, 'seq' | 'takeovers'>;

/**
 * The stats of the given keys, keyed by `statKeyOf`; with `lock`, locked `FOR UPDATE` in key order.
 *
 * One primary-key probe per key, in a LATERAL subquery kept from being pulled up (`OFFSET 0`): as a
 * plain join, a plan made while the table was small (a fresh database, whose table statistics say
 * nothing yet) hashes the keys and scans the whole table, and the connection keeps that plan as
 * the table grows.
 */
export async function readStatValues(
  db: Db,
  keys: readonly StatKey[],
  options: { readonly lock: boolean },
): Promise<Map<string, StoredStat>> {
  const stats = new Map<string, StoredStat>();
  if (keys.length === 0) return stats;
  const sorted = [...keys].sort(compareKeys);
  const rows = await db<
    {
      user_id: string;
      stat_code: string;
      value: number;
      last_event_at: Date;
      seq: string;
      takeovers: string;
    }[]
  >`
    select s.* from unnest(${sorted.map((key) => key.userId)}::text[], ${sorted.map((key) => key.statCode)}::text[])
      with ordinality as k(user_id, stat_code, ord)
    cross join lateral (
      select v.user_id, v.stat_code, v.value, v.last_event_at, v.seq::text as seq,
        v.takeovers::text as takeovers
      from user_stat_values v where v.user_id = k.user_id and v.stat_code = k.stat_code
      ${options.lock ? db`for update` : db`offset 0`}
    ) as s
    order by k.ord`;
  for (const row of rows) {
    stats.set(statKeyOf({ userId: row.user_id, statCode: row.stat_code }), {
      value: row.value,
      lastEventAt: row.last_event_at,
      seq: BigInt(row.seq),
      takeovers: BigInt(row.takeovers),
    });
  }
  return stats;
}

export interface StatWrite extends StatKey {
  readonly value: number;
  readonly lastEventAt: Date;
  /** The version read; undefined when there was no row. The write applies only over that version. */
  readonly read: StatVersion | undefined;
}

/**
 * Writes new values, each with a new `seq`, only over the version read (or as a new row where none
 * was read). Returns how many were written: fewer than given means another writer got there first:
 * a flush, or a writer that took over a goal row following the stat (`takeOverStats`).
 *
 * One upsert: its conflict check is a primary-key probe per row whatever the table's statistics
 * say (an UPDATE joined to the input may hash-join a full scan of the table, see above). The
 * version read travels as the proposed row's `seq` and `takeovers`: a new row takes a fresh `seq`.
 */
export async function writeStatValues(db: Db, stats: readonly StatWrite[], now: Date): Promise<number> {
  if (stats.length === 0) return 0;
  const sorted = [...stats].sort(compareKeys);
  const result = await db`
    insert into user_stat_values as s (user_id, stat_code, value, last_event_at, changed_at, seq, takeovers)
    select u.user_id, u.stat_code, u.value, u.last_event_at, ${now}, coalesce(u.read_seq, nextval('user_stat_seq')),
      coalesce(u.read_takeovers, 0)
    from unnest(
      ${sorted.map((stat) => stat.userId)}::text[],
      ${sorted.map((stat) => stat.statCode)}::text[],
      ${sorted.map((stat) => stat.value)}::int[],
      ${sorted.map((stat) => stat.lastEventAt.toISOString())}::timestamptz[],
      ${db.array(sorted.map((stat) => stat.read?.seq.toString() ?? null))}::bigint[],
      ${db.array(sorted.map((stat) => stat.read?.takeovers.toString() ?? null))}::bigint[]
    ) as u(user_id, stat_code, value, last_event_at, read_seq, read_takeovers)
    on conflict (user_id, stat_code) do update set value = excluded.value,
      last_event_at = excluded.last_event_at, changed_at = excluded.changed_at,
      seq = nextval('user_stat_seq')
    where s.seq = excluded.seq and s.takeovers = excluded.takeovers`;
  return result.count;
}

/**
 * For a writer other than the flush about to lock and change some of a player's goal rows (a
 * claim, an activation, a selection, an admin's write): locks the stats those rows follow, in
 * key order, and counts the takeover on each, in the writer's transaction. Run before the rows are
 * locked and read (the order the flush takes them in), so what the writer reads includes every
 * flush committed before, and a flush that read a stat earlier fails its guarded write and runs
 * again with the rows locked, after this writer commits.
 *
 * A row that a flush marks as following between this statement and the writer's own lock is
 * missed; only the first event to mark the goal can do that.
 */
export async function takeOverStats(db: Db, userId: string, goalIds: readonly string[]): Promise<void> {
  if (goalIds.length === 0) return;
  await db`
    with locked as materialized (
      select s.stat_code from user_stat_values s
      where s.user_id = ${userId} and s.stat_code in (
        select p.stat_code from user_goal_progress p
        where p.user_id = ${userId} and p.goal_id = any(${goalIds as string[]}::text[]) and p.stat_code is not null)
      order by s.stat_code
      for update
    )
    update user_stat_values s set takeovers = s.takeovers + 1
    from locked where s.user_id = ${userId} and s.stat_code = locked.stat_code`;
}

const compareKeys = (a: StatKey, b: StatKey): number => {
  const ka = statKeyOf(a);
  const kb = statKeyOf(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/**
 * Rows that follow a stat their goal no longer follows under a new configuration (the goal's type,
 * stat or rotation changed) store what they showed and stop following: a row must not show a stat
 * its goal does not measure. Run when a configuration is recorded; the flush also stops a row from
 * following when it next writes it. `goalIds` limits it to the goals that changed (the rows of the
 * others are left unread); without it, one pass over the whole table.
 */
export async function releaseUnfollowedRows(
  db: Db,
  followed: ReadonlyArray<{ readonly goalId: string; readonly statCode: string }>,
  goalIds?: readonly string[],
): Promise<number> {
  const only = goalIds ? db`and p.goal_id = any(${goalIds as string[]}::text[])` : db``;
  const result = await db`
    update user_goal_progress p set stat_code = null, stat_seen = 0, stat_base = 0,
      progress = v.progress, status = v.status, last_event_at = v.last_event_at, updated_at = v.updated_at
    from user_goal_progress_current v
    where p.stat_code is not null and v.user_id = p.user_id and v.goal_id = p.goal_id ${only}
      and (p.goal_id, p.stat_code) not in (
        select * from unnest(${followed.map((goal) => goal.goalId)}::text[],
          ${followed.map((goal) => goal.statCode)}::text[]))`;
  return result.count;
}
