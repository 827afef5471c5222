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

/** The stats of the given keys, keyed by `statKeyOf`; with `lock`, locked `FOR UPDATE` in key order. */
export async function readStatValues(
  db: Db,
  keys: readonly StatKey[],
  options: { readonly lock: boolean },
): Promise<Map<string, StatValue>> {
  const stats = new Map<string, StatValue>();
  if (keys.length === 0) return stats;
  const rows = await db<
    { user_id: string; stat_code: string; value: number; last_event_at: Date; seq: string }[]
  >`
    select s.user_id, s.stat_code, s.value, s.last_event_at, s.seq::text as seq
    from user_stat_values s
    join unnest(${keys.map((key) => key.userId)}::text[], ${keys.map((key) => key.statCode)}::text[])
      as k(user_id, stat_code) on s.user_id = k.user_id and s.stat_code = k.stat_code
    ${options.lock ? db`order by s.user_id, s.stat_code for update of s` : db``}`;
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
 */
export async function writeStatValues(db: Db, stats: readonly StatWrite[], now: Date): Promise<number> {
  if (stats.length === 0) return 0;
  const sorted = [...stats].sort((a, b) => {
    const ka = statKeyOf(a);
    const kb = statKeyOf(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const [row] = await db<{ written: number }[]>`
    with input as (
      select * from unnest(
        ${sorted.map((s) => s.userId)}::text[],
        ${sorted.map((s) => s.statCode)}::text[],
        ${sorted.map((s) => s.value)}::int[],
        ${sorted.map((s) => s.lastEventAt.toISOString())}::timestamptz[],
        ${db.array(sorted.map((s) => (s.readSeq === undefined ? null : s.readSeq.toString())))}::bigint[]
      ) as u(user_id, stat_code, value, last_event_at, read_seq)
    ), updated as (
      update user_stat_values s set value = i.value, last_event_at = i.last_event_at,
        changed_at = ${now}, seq = nextval('user_stat_seq')
      from input i
      where i.read_seq is not null and s.user_id = i.user_id and s.stat_code = i.stat_code
        and s.seq = i.read_seq
      returning 1
    ), inserted as (
      insert into user_stat_values (user_id, stat_code, value, last_event_at, changed_at, seq)
      select i.user_id, i.stat_code, i.value, i.last_event_at, ${now}, nextval('user_stat_seq')
      from input i where i.read_seq is null
      order by i.user_id, i.stat_code
      on conflict (user_id, stat_code) do nothing
      returning 1
    )
    select ((select count(*) from updated) + (select count(*) from inserted))::int as written`;
  return row?.written ?? 0;
}

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
