/** The SQL of the outbox retention (src/outbox/outbox-retention.ts). */
import type { Db } from './client.ts';

/**
 * Deletes up to `limit` messages that occurred before `olderThan`: while a webhook still has to
 * receive the rest, only those delivered, parked or never for delivery; every one otherwise. Returns how many went.
 */
export async function deleteExpiredMessages(
  db: Db,
  options: { readonly olderThan: Date; readonly keepUndelivered: boolean; readonly limit: number },
): Promise<number> {
  const finished = options.keepUndelivered
    ? db`and (delivered_at is not null or parked_at is not null or not for_delivery)`
    : db``;
  // The condition again outside: a row changed after the subquery read it (a parked message
  // redelivered meanwhile) is tested again as it is now, where the subquery's choice is not.
  const result = await db`
    delete from outbox_messages where id in (
      select id from outbox_messages where occurred_at < ${options.olderThan} ${finished}
      limit ${options.limit}
    ) ${finished}`;
  return result.count;
}
