/**
 * The reads behind live streams (src/stream/): where a player's outbox ends, the messages after a
 * stream's position, and the rows of the goals they show. Each read serves many players in one
 * statement, because one notification, poll or reconnect can concern thousands of streams.
 *
 * Reads keyed by an array of players go through a LATERAL subquery per key, kept from being pulled
 * up (`LIMIT`, `OFFSET 0`), for the reason given in event-progress.ts: joined plainly, a few
 * hundred keys make PostgreSQL prefer a sequential scan of the whole table, hundreds of
 * milliseconds instead of a few.
 */
import type { ProgressState } from '../domain/types.ts';
import type { Db } from './client.ts';
import {
  type MessageRow,
  OUTBOX_START,
  type OutboxCursor,
  type StoredOutboxMessage,
  toMessage,
} from './outbox.ts';
import { type RawState, STATE_COLUMNS, toState } from './progress-rows.ts';

/**
 * Each player's last message that every reader can see complete (outbox.ts); `OUTBOX_START` for a
 * player with none. Every later message orders after it, including those committed but not yet safe.
 */
export async function readOutboxHeads(
  db: Db,
  userIds: readonly string[],
): Promise<Map<string, OutboxCursor>> {
  const heads = new Map<string, OutboxCursor>();
  if (userIds.length === 0) return heads;
  const rows = await db<{ user_id: string; tx: string | null; id: string | null }[]>`
    select u.user_id, h.tx::text as tx, h.id::text as id
    from unnest(${userIds as string[]}::text[]) as u(user_id)
    left join lateral (
      select m.tx, m.id from outbox_messages m
      where m.user_id = u.user_id and m.tx < pg_snapshot_xmin(pg_current_snapshot())
      order by m.tx desc, m.id desc
      limit 1
    ) as h on true`;
  for (const row of rows)
    heads.set(row.user_id, row.tx !== null && row.id !== null ? { tx: row.tx, id: row.id } : OUTBOX_START);
  return heads;
}

/** Every row (active or not) of each player, by player. */
export async function readPlayersProgress(
  db: Db,
  userIds: readonly string[],
): Promise<Map<string, ProgressState[]>> {
  const byUser = new Map<string, ProgressState[]>(userIds.map((userId) => [userId, []]));
  if (userIds.length === 0) return byUser;
  const rows = await db<(RawState & { user_id: string })[]>`
    select user_id, ${STATE_COLUMNS(db)} from user_goal_progress_current
    where user_id = any(${userIds as string[]}::text[])`;
  for (const row of rows) byUser.get(row.user_id)?.push(toState(row));
  return byUser;
}

/**
 * The rows (where they exist) of the given goals of each player, by player. One index scan per
 * player for all its goals, which also joins the player's stats once: a probe per goal descended
 * the primary key and the stat table's key again for every goal (a stat event moves ~20 goals).
 */
export async function readPlayersGoals(
  db: Db,
  wanted: ReadonlyMap<string, Iterable<string>>,
): Promise<Map<string, ProgressState[]>> {
  const byUser = new Map<string, ProgressState[]>();
  const userIds: string[] = [];
  const goalIds: string[] = [];
  for (const [userId, goals] of wanted) {
    byUser.set(userId, []);
    for (const goalId of goals) {
      userIds.push(userId);
      goalIds.push(goalId);
    }
  }
  if (userIds.length === 0) return byUser;
  const rows = await db<(RawState & { user_id: string })[]>`
    select k.user_id, p.* from (
      select user_id, array_agg(goal_id) as goal_ids
      from unnest(${userIds}::text[], ${goalIds}::text[]) as k(user_id, goal_id)
      group by user_id
    ) as k
    cross join lateral (
      select ${STATE_COLUMNS(db)} from user_goal_progress_current
      where user_id = k.user_id and goal_id = any(k.goal_ids)
      offset 0
    ) as p`;
  for (const row of rows) byUser.get(row.user_id)?.push(toState(row));
  return byUser;
}

export interface MessagesAfter {
  readonly messages: StoredOutboxMessage[];
  /**
   * Messages after the position are committed but not yet safe to pass (an older transaction is
   * still running): read again shortly.
   */
  readonly pending: boolean;
}

/**
 * For each (player, position): up to `limit` messages after it in commit-safe order, in input order.
 * `pending` is asked once per position (`OFFSET 0`; pulled up, it ran once per message returned) and
 * its index range starts at the later of the position and the snapshot's xmin, so a backlog of
 * thousands of messages costs one short probe instead of a walk over the whole backlog per read.
 */
export async function readMessagesAfter(
  db: Db,
  positions: ReadonlyArray<{ readonly userId: string; readonly cursor: OutboxCursor }>,
  limit: number,
): Promise<MessagesAfter[]> {
  const results = positions.map((): { messages: StoredOutboxMessage[]; pending: boolean } => ({
    messages: [],
    pending: false,
  }));
  if (positions.length === 0) return results;
  // `id` is null for a position with no message after it (the LEFT JOIN).
  const rows = await db<(Omit<MessageRow, 'id'> & { ord: string; pending: boolean; id: string | null })[]>`
    select c.ord, p.pending, m.id::text as id, m.tx::text as tx, m.type, m.occurred_at, m.namespace,
      m.user_id, m.challenge_id, m.goal_id, m.progress, m.status
    from unnest(${positions.map((p) => p.userId)}::text[], ${positions.map((p) => p.cursor.tx)}::text[],
        ${positions.map((p) => p.cursor.id)}::text[]) with ordinality as c(user_id, tx, id, ord)
    cross join lateral (
      select exists (
        select 1 from outbox_messages x
        where x.user_id = c.user_id
          and x.tx >= greatest(c.tx::xid8, pg_snapshot_xmin(pg_current_snapshot()))
          and (x.tx > c.tx::xid8 or x.id > c.id::bigint)
      ) as pending
      offset 0
    ) as p
    left join lateral (
      select * from outbox_messages x
      where x.user_id = c.user_id and (x.tx, x.id) > (c.tx::xid8, c.id::bigint)
        and x.tx < pg_snapshot_xmin(pg_current_snapshot())
      order by x.tx, x.id
      limit ${limit}
    ) as m on true
    order by c.ord, m.tx, m.id`;
  for (const row of rows) {
    const result = results[Number(row.ord) - 1];
    if (!result) continue;
    result.pending = row.pending;
    if (row.id !== null) result.messages.push(toMessage({ ...row, id: row.id }));
  }
  return results;
}
