/**
 * The SQL of webhook delivery (sql/0010_outbox_delivery.sql). A player's messages go out one at a
 * time, in (tx, id) order: only the player's head has `next_attempt_at` set, so replicas claim
 * heads that are due and nothing else, with FOR UPDATE SKIP LOCKED and a lease on the database's
 * clock, and deliver with no transaction open.
 *
 * Making the next message the head happens in two places: at intake, for a new message whose
 * player has nothing earlier still to deliver, and when a head is delivered or parked, for the
 * oldest message behind it. Both take the player's advisory lock, so one always sees what the other
 * committed: without it, a delivery marked while intake reads could leave the next message waiting
 * behind a head that is gone, with each side sure the other had promoted it.
 */
import type { DeliveryState } from '../domain/outbox-delivery.ts';
import type { Db, Pool } from './client.ts';
import { type MessageRow, type StoredOutboxMessage, toMessage } from './outbox.ts';

/*
 * Statements that pick messages by id test "still to deliver" as coalesce(delivered_at,
 * parked_at) IS NULL on purpose: written that way it does not match the partial indexes'
 * predicate, so the planner looks the ids up by primary key. With the plain form it may scan a
 * partial index on a later column instead, which it prices as tiny when the table has grown fast
 * since its last ANALYZE (a wave of /initialize writes a hundred messages per player), and which
 * then reads thousands of pages for a handful of rows.
 */

/**
 * A replica with a webhook: messages written from now on are for delivery (sql/0013), renewed on
 * the database's clock (sql/0019). Returns whether delivery was off until now.
 */
export async function renewWebhookDelivery(db: Db): Promise<boolean> {
  // Two statements, so that the first tells, as the row is when it is locked, whether delivery was off.
  const turnedOn = await db`
    update outbox_settings set webhook_delivery = true, webhook_renewed_at = now() where not webhook_delivery`;
  if (turnedOn.count > 0) return true;
  await db`update outbox_settings set webhook_renewed_at = now()`;
  return false;
}

/**
 * A replica without a webhook: turns delivery off once no replica has renewed it for `idleMs`.
 * Returns whether it did, and when delivery was last renewed (null: never).
 */
export async function retireWebhookDelivery(
  db: Db,
  idleMs: number,
): Promise<{ readonly retired: boolean; readonly lastRenewedAt: Date | null }> {
  const rows = await db<{ webhook_renewed_at: Date | null }[]>`
    update outbox_settings set webhook_delivery = false
    where webhook_delivery
      and (webhook_renewed_at is null or webhook_renewed_at < now() - make_interval(secs => ${idleMs / 1000}))
    returning webhook_renewed_at`;
  const [row] = rows;
  return { retired: row !== undefined, lastRenewedAt: row?.webhook_renewed_at ?? null };
}

/** Second half of the per-player advisory lock (the first is the user id's hash). */
const PLAYER_LOCK = 0x0b0c_0de1;

/** A head claimed for one delivery attempt; `attempts` counts this one and is the lease's token. */
export interface ClaimedMessage extends StoredOutboxMessage {
  readonly attempts: number;
}

/** A message with its delivery record, as admins see it. */
export interface MessageDelivery extends StoredOutboxMessage {
  readonly attempts: number;
  readonly state: DeliveryState;
  readonly deliveredAt: Date | null;
  readonly parkedAt: Date | null;
  readonly lastError: string | null;
}

/** Ids and transactions as text (int64 and xid8): an ORDER BY must name the table's columns, not these. */
const MESSAGE_COLUMNS = (db: Db) =>
  db`id::text, tx::text, type, occurred_at, namespace, user_id, challenge_id, goal_id, progress, status, attempts`;

interface ClaimedRow extends MessageRow {
  attempts: number;
}

interface DeliveryRow extends ClaimedRow {
  delivered_at: Date | null;
  parked_at: Date | null;
  last_error: string | null;
}

const toClaimed = (row: ClaimedRow): ClaimedMessage => ({ ...toMessage(row), attempts: row.attempts });

const toDelivery = (row: DeliveryRow): MessageDelivery => ({
  ...toClaimed(row),
  state: row.parked_at ? 'parked' : row.delivered_at ? 'delivered' : 'pending',
  deliveredAt: row.delivered_at,
  parkedAt: row.parked_at,
  lastError: row.last_error,
});

export interface IntakeResult {
  /** New messages read past the cursor. */
  readonly read: number;
  /** Of those, the ones that became their player's head. */
  readonly heads: number;
}

/**
 * Reads up to `limit` messages past the intake cursor (only from transactions every reader sees
 * complete) and makes each its player's head unless an earlier message of the player is still to
 * deliver. Undefined when another replica holds the intake right now.
 */
export async function takeIntake(pool: Pool, limit: number): Promise<IntakeResult | undefined> {
  return pool.begin(async (tx) => {
    const [cursor] = await tx<{ tx: string; id: string }[]>`
      select tx::text, id::text from outbox_delivery_intake for update skip locked`;
    if (!cursor) return undefined;
    const batch = await tx<{ id: string; tx: string; user_id: string }[]>`
      select m.id::text, m.tx::text, m.user_id from outbox_messages m
      where m.for_delivery and m.delivered_at is null and m.parked_at is null
        and (m.tx, m.id) > (${cursor.tx}::xid8, ${cursor.id}::bigint)
        and m.tx < pg_snapshot_xmin(pg_current_snapshot())
      order by m.tx, m.id
      limit ${limit}`;
    const last = batch.at(-1);
    if (!last) return { read: 0, heads: 0 };
    // A player's later messages in the batch wait behind their first one: only the first can be a head.
    const firstOfPlayer = new Map<string, string>();
    for (const message of batch)
      if (!firstOfPlayer.has(message.user_id)) firstOfPlayer.set(message.user_id, message.id);
    // Sorted, so two transactions locking several players never wait on each other in a circle.
    await tx`
      select pg_advisory_xact_lock(key, ${PLAYER_LOCK}) from (
        select distinct hashtext(user_id) as key from unnest(${[...firstOfPlayer.keys()]}::text[]) as user_id
        order by key
      ) as keys`;
    const promoted = await tx`
      update outbox_messages m set next_attempt_at = now()
      where m.id = any(${[...firstOfPlayer.values()]}::bigint[])
        and m.next_attempt_at is null and coalesce(m.delivered_at, m.parked_at) is null
        and not exists (
          select 1 from outbox_messages p
          where p.user_id = m.user_id and p.for_delivery and p.delivered_at is null and p.parked_at is null
            and (p.tx, p.id) < (m.tx, m.id)
        )`;
    await tx`update outbox_delivery_intake set tx = ${last.tx}::xid8, id = ${last.id}::bigint`;
    return { read: batch.length, heads: promoted.count };
  });
}

/**
 * Makes each player's oldest message still to deliver a head, up to the intake cursor. Run when
 * delivery starts: it mends queues whose head was removed by other means (the retention while no
 * webhook was configured, an operator's SQL), which would otherwise wait forever. One pass over
 * the messages still to deliver, in index order.
 */
export async function repairHeads(db: Db): Promise<number> {
  const result = await db`
    update outbox_messages m set next_attempt_at = now()
    from (
      select distinct on (user_id) id from outbox_messages
      where for_delivery and delivered_at is null and parked_at is null
      order by user_id, tx, id
    ) as oldest
    where m.id = oldest.id and m.next_attempt_at is null
      and (m.tx, m.id) <= (select tx, id from outbox_delivery_intake)`;
  return result.count;
}

/**
 * Claims up to `limit` due heads, oldest due first, each leased for `leaseMs` on the database's
 * clock: until the lease runs out no other replica takes it, and after that any may (the holder
 * died or is too slow), so a message is delivered at least once.
 */
export async function claimDueMessages(db: Db, limit: number, leaseMs: number): Promise<ClaimedMessage[]> {
  const rows = await db<ClaimedRow[]>`
    with due as (
      select id as due_id from outbox_messages
      where delivered_at is null and parked_at is null and next_attempt_at <= now()
      order by next_attempt_at
      limit ${limit}
      for update skip locked
    )
    update outbox_messages m
    set attempts = m.attempts + 1, next_attempt_at = now() + ${leaseMs}::float8 * interval '1 millisecond'
    from due where m.id = due.due_id
    returning ${MESSAGE_COLUMNS(db)}`;
  return rows.map(toClaimed);
}

/**
 * Records the delivery and makes the next message of the player its head. False when the lease
 * was lost meanwhile (another replica took the message over; it delivers it again).
 */
export async function markDelivered(pool: Pool, message: ClaimedMessage): Promise<boolean> {
  return pool.begin(async (tx) => {
    await lockPlayer(tx, message.userId);
    const marked = await tx`
      update outbox_messages set delivered_at = now()
      where id = ${message.id}::bigint and attempts = ${message.attempts}
        and coalesce(delivered_at, parked_at) is null`;
    if (marked.count === 0) return false;
    await promoteNext(tx, message);
    return true;
  });
}

/** Parks the message (a dead letter) and makes the next message of the player its head. */
export async function markParked(pool: Pool, message: ClaimedMessage, error: string): Promise<boolean> {
  return pool.begin(async (tx) => {
    await lockPlayer(tx, message.userId);
    const marked = await tx`
      update outbox_messages set parked_at = now(), last_error = ${error}
      where id = ${message.id}::bigint and attempts = ${message.attempts}
        and coalesce(delivered_at, parked_at) is null`;
    if (marked.count === 0) return false;
    await promoteNext(tx, message);
    return true;
  });
}

/** The head stays the head, due again after `delayMs`; its player's later messages keep waiting. */
export async function scheduleRetry(
  db: Db,
  message: ClaimedMessage,
  delayMs: number,
  error: string,
): Promise<boolean> {
  const result = await db`
    update outbox_messages
    set next_attempt_at = now() + ${delayMs}::float8 * interval '1 millisecond', last_error = ${error}
    where id = ${message.id}::bigint and attempts = ${message.attempts}
      and coalesce(delivered_at, parked_at) is null`;
  return result.count > 0;
}

/** Gives a claimed message back, due now, without counting the attempt (a delivery cut short by shutdown). */
export async function releaseClaim(db: Db, message: ClaimedMessage): Promise<void> {
  await db`
    update outbox_messages set next_attempt_at = now(), attempts = attempts - 1
    where id = ${message.id}::bigint and attempts = ${message.attempts}
      and coalesce(delivered_at, parked_at) is null`;
}

/** Parked messages of the namespace in id order, after `afterId`. */
export async function listParked(
  db: Db,
  options: { readonly namespace: string; readonly afterId: string; readonly limit: number },
): Promise<MessageDelivery[]> {
  const rows = await db<DeliveryRow[]>`
    select ${MESSAGE_COLUMNS(db)}, delivered_at, parked_at, last_error
    from outbox_messages m
    where m.parked_at is not null and m.namespace = ${options.namespace} and m.id > ${options.afterId}::bigint
    order by m.id
    limit ${options.limit}`;
  return rows.map(toDelivery);
}

/**
 * Puts a parked message back in delivery, due now and with its attempts counted afresh; it goes
 * out on its own, not behind the player's other messages. A message that is not parked is left
 * as it is. Undefined when the namespace has no message with that id.
 */
export async function redeliverParked(
  db: Db,
  namespace: string,
  id: string,
): Promise<{ readonly redelivered: boolean; readonly message: MessageDelivery } | undefined> {
  const [requeued] = await db<DeliveryRow[]>`
    update outbox_messages set parked_at = null, attempts = 0, next_attempt_at = now()
    where id = ${id}::bigint and namespace = ${namespace} and parked_at is not null
    returning ${MESSAGE_COLUMNS(db)}, delivered_at, parked_at, last_error`;
  if (requeued) return { redelivered: true, message: toDelivery(requeued) };
  const [found] = await db<DeliveryRow[]>`
    select ${MESSAGE_COLUMNS(db)}, delivered_at, parked_at, last_error
    from outbox_messages where id = ${id}::bigint and namespace = ${namespace}`;
  return found ? { redelivered: false, message: toDelivery(found) } : undefined;
}

/** Seconds since the oldest message still to deliver occurred (0 when there is none); one index probe. */
export async function oldestUndeliveredAgeSeconds(db: Db): Promise<number> {
  const [row] = await db<{ age: number }[]>`
    select greatest(0, extract(epoch from now() - occurred_at))::float8 as age
    from outbox_messages
    where for_delivery and delivered_at is null and parked_at is null
    order by tx, id
    limit 1`;
  return row?.age ?? 0;
}

async function lockPlayer(db: Db, userId: string): Promise<void> {
  await db`select pg_advisory_xact_lock(hashtext(${userId}), ${PLAYER_LOCK})`;
}

/** The oldest message behind `message` that is still to deliver becomes the player's head. */
async function promoteNext(db: Db, message: ClaimedMessage): Promise<void> {
  await db`
    update outbox_messages set next_attempt_at = now()
    where id = (
      select id from outbox_messages
      where user_id = ${message.userId} and for_delivery and delivered_at is null and parked_at is null
        and (tx, id) > (${message.cursor.tx}::xid8, ${message.cursor.id}::bigint)
        and tx < pg_snapshot_xmin(pg_current_snapshot())
      order by tx, id
      limit 1
    ) and next_attempt_at is null and coalesce(delivered_at, parked_at) is null`;
}
