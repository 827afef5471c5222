/** The SQL of the outbox retention (src/outbox/outbox-retention.ts). */
import type { Db } from './client.ts';

/**
 * Deletes up to `limit` messages that occurred before `olderThan`: while delivery is on (sql/0019)
 * only those delivered, parked or never for delivery, as a webhook still has to receive the rest;
 * every one otherwise. Returns how many went.
 */
export async function deleteExpiredMessages(
  db: Db,
  options: { readonly olderThan: Date; readonly limit: number },
): Promise<number> {
  // Read once per statement (a sub-select), whoever set it: the replicas agree on what stays.
  const finished = db`and (not (select outbox_for_delivery())
    or delivered_at is not null or parked_at is not null or not for_delivery)`;
  // The condition again outside: a row changed after the subquery read it (a parked message
  // redelivered meanwhile) is tested again as it is now, where the subquery's choice is not.
  const result = await db`
    delete from outbox_messages where id in (
      select id from outbox_messages where occurred_at < ${options.olderThan} ${finished}
      limit ${options.limit}
    ) ${finished}`;
  return result.count;
}
