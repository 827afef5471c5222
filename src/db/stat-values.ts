/**
 * `user_stat_values`: each player's latest value per stat, which goals that follow their stat show
 * (domain/stat-values.ts, sql/0014_stat_values.sql). Only the event flush writes it.
 */
import type { StatValue } from '../domain/stat-values.ts';
import type { Db } from './client.ts';

export interface StatKey {
  readonly userId: string;
  readonly statCode: string;
}

/** A key as one string, for maps. */
export const statKeyOf = (key: StatKey): string => `${key.userId}\u0000${key.statCode}`;

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
): Promise<Map<string, StatValue>> {
  const stats = new Map<string, StatValue>();
  if (keys.length === 0) return stats;
  const sorted = [...keys].sort(compareKeys);
  const rows = await db<
    { user_id: string; stat_code: string; value: number; last_event_at: Date; seq: string }[]
  >`
    select s.* from unnest(${sorted.map((key) => key.userId)}::text[], ${sorted.map((key) => key.statCode)}::text[])
      with ordinality as k(user_id, stat_code, ord)
    cross join lateral (
      select v.user_id, v.stat_code, v.value, v.last_event_at, v.seq::text as seq
      from user_stat_values v where v.user_id = k.user_id and v.stat_code = k.stat_code
      ${options.lock ? db`for update` : db`offset 0`}
    ) as s
    order by k.ord`;
  for (const row of rows) {
    stats.set(statKeyOf({ userId: row.user_id, statCode: row.stat_code }), {
      value: row.value,
      lastEventAt: row.last_event_at,
      seq: BigInt(row.seq),
    });
  }
  return stats;
}

export interface StatWrite extends StatKey {
  readonly value: number;
  readonly lastEventAt: Date;
  /** The `seq` read; undefined when there was no row. The write applies only over that version. */
  readonly readSeq: bigint | undefined;
}

/**
 * Writes new values, each with a new `seq`, only over the version read (or as a new row where none
 * was read). Returns how many were written: fewer than given means another writer got there first.
 *
 * One upsert: its conflict check is a primary-key probe per row whatever the table's statistics
 * say (an UPDATE joined to the input may hash-join a full scan of the table, see above). The
 * version read travels as the proposed row's `seq`: a new row takes a fresh one.
 */
export async function writeStatValues(db: Db, stats: readonly StatWrite[], now: Date): Promise<number> {
  if (stats.length === 0) return 0;
  const sorted = [...stats].sort(compareKeys);
  const result = await db`
    insert into user_stat_values as s (user_id, stat_code, value, last_event_at, changed_at, seq)
    select u.user_id, u.stat_code, u.value, u.last_event_at, ${now}, coalesce(u.read_seq, nextval('user_stat_seq'))
    from unnest(
      ${sorted.map((stat) => stat.userId)}::text[],
      ${sorted.map((stat) => stat.statCode)}::text[],
      ${sorted.map((stat) => stat.value)}::int[],
      ${sorted.map((stat) => stat.lastEventAt.toISOString())}::timestamptz[],
      ${db.array(sorted.map((stat) => (stat.readSeq === undefined ? null : stat.readSeq.toString())))}::bigint[]
    ) as u(user_id, stat_code, value, last_event_at, read_seq)
    on conflict (user_id, stat_code) do update set value = excluded.value,
      last_event_at = excluded.last_event_at, changed_at = excluded.changed_at,
      seq = nextval('user_stat_seq')
    where s.seq = excluded.seq`;
  return result.count;
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
 * following when it next writes it. One pass over the table's marked rows.
 */
export async function releaseUnfollowedRows(
  db: Db,
  followed: ReadonlyArray<{ readonly goalId: string; readonly statCode: string }>,
): Promise<number> {
  const result = await db`
    update user_goal_progress p set stat_code = null, stat_seen = 0, stat_base = 0,
      progress = v.progress, status = v.status, last_event_at = v.last_event_at, updated_at = v.updated_at
    from user_goal_progress_current v
    where p.stat_code is not null and v.user_id = p.user_id and v.goal_id = p.goal_id
      and (p.goal_id, p.stat_code) not in (
        select * from unnest(${followed.map((goal) => goal.goalId)}::text[],
          ${followed.map((goal) => goal.statCode)}::text[]))`;
  return result.count;
}
