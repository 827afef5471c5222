/** The SQL of the outbox retention (src/outbox/outbox-retention.ts). */
import type { Db } from './client.ts';

/**
 * Deletes up to `limit` messages that occurred before `olderThan`: those delivered, parked or never
 * for delivery, and those still to deliver only once delivery is off (sql/0019) and was last
 * renewed before `olderThan` too. A message a webhook has not received is kept while a delivering
 * replica runs, and for the retention after the last one stopped. Returns how many went.
 */
export async function deleteExpiredMessages(
  db: Db,
  options: { readonly olderThan: Date; readonly limit: number },
): Promise<number> {
  // The setting is read once per statement (a sub-select), whichever replica runs it.
  const finished = db`and (delivered_at is not null or parked_at is not null or not for_delivery
    or (select not webhook_delivery and coalesce(webhook_renewed_at < ${options.olderThan}, true)
        from outbox_settings))`;
  // The condition again outside: a row changed after the subquery read it (a parked message
  // redelivered meanwhile) is tested again as it is now, where the subquery's choice is not.
  const result = await db`
    delete from outbox_messages where id in (
      select id from outbox_messages where occurred_at < ${options.olderThan} ${finished}
      limit ${options.limit}
    ) ${finished}`;
  return result.count;
}
