/**
 * The SQL of the outbox (sql/0009_outbox.sql): messages are written by a trigger; this reads them
 * in commit-safe order. A cursor is (tx, id): messages are read only from transactions older than
 * every transaction still running, so one that commits late is never passed over.
 */

import type { OutboxMessage, OutboxMessageType } from '../domain/outbox-message.ts';
import type { GoalStatus } from '../domain/types.ts';
import type { Db } from './client.ts';

/** Where a reader stands: after the message with this transaction and id. */
export interface OutboxCursor {
  readonly tx: string;
  readonly id: string;
}

export const OUTBOX_START: OutboxCursor = { tx: '0', id: '0' };

export interface StoredOutboxMessage extends OutboxMessage {
  readonly cursor: OutboxCursor;
}

/** An outbox row as the readers select it (`id` and `tx` as text). */
export interface MessageRow {
  id: string;
  tx: string;
  type: OutboxMessageType;
  occurred_at: Date;
  namespace: string;
  user_id: string;
  challenge_id: string;
  goal_id: string;
  progress: number;
  status: GoalStatus;
}

export const toMessage = (row: MessageRow): StoredOutboxMessage => ({
  id: row.id,
  cursor: { tx: row.tx, id: row.id },
  type: row.type,
  occurredAt: row.occurred_at,
  namespace: row.namespace,
  userId: row.user_id,
  challengeId: row.challenge_id,
  goalId: row.goal_id,
  progress: row.progress,
  status: row.status,
});

/** The player's messages after `after`, oldest first, only from transactions every reader can see complete. */
export async function readPlayerMessages(
  db: Db,
  userId: string,
  after: OutboxCursor,
  limit: number,
): Promise<StoredOutboxMessage[]> {
  const rows = await db<MessageRow[]>`
    select m.id::text, m.tx::text, type, occurred_at, namespace, user_id, challenge_id, goal_id, progress, status
    from outbox_messages m
    where m.user_id = ${userId}
      and (m.tx, m.id) > (${after.tx}::xid8, ${after.id}::bigint)
      and m.tx < pg_snapshot_xmin(pg_current_snapshot())
    -- The table's columns: a bare "tx, id" would sort by the text casts above ('10' before '9').
    order by m.tx, m.id
    limit ${limit}`;
  return rows.map(toMessage);
}
