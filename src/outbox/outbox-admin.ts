/**
 * The admin view of webhook delivery: parked messages (dead letters), and putting one back in
 * delivery. Scoped to the service's namespace, as the admin permission is.
 */
import type { Db } from '../db/client.ts';
import { listParked, type MessageDelivery, redeliverParked } from '../db/outbox-delivery.ts';
import { echoed, invalidRequest, outboxMessageNotFound } from '../domain/errors.ts';
import { outboxMessageJson } from '../domain/outbox-message.ts';
import { formatTimestamp } from '../domain/time.ts';
import type { Logger } from '../log.ts';

export const DEFAULT_PARKED_LIMIT = 50;
export const MAX_PARKED_LIMIT = 1_000;

/** Outbox ids are positive bigints; anything else is refused before it reaches a cast in SQL. */
const MESSAGE_ID = /^[1-9]\d{0,18}$/;
const MAX_BIGINT = 2n ** 63n - 1n;

export interface OutboxAdmin {
  /** Parked messages, oldest first, after the id `after` (paging: pass the last id seen). */
  parked(
    adminUserId: string,
    query: { readonly after?: string | undefined; readonly limit?: number | undefined },
  ): Promise<{ messages: MessageDeliveryJson[] }>;
  /**
   * Sends a parked message again, on its own (not behind the player's later messages), with its
   * attempts counted afresh. Idempotent: a message no longer parked is answered as it is.
   */
  redeliver(adminUserId: string, id: string): Promise<{ redelivered: boolean; message: MessageDeliveryJson }>;
}

export type MessageDeliveryJson = ReturnType<typeof deliveryJson>;

export function createOutboxAdmin(deps: { db: Db; namespace: string; logger: Logger }): OutboxAdmin {
  return {
    async parked(_adminUserId, query) {
      const afterId =
        query.after === undefined || query.after === '0' ? '0' : checkedId(query.after, 'after');
      const messages = await listParked(deps.db, {
        namespace: deps.namespace,
        afterId,
        limit: checkedLimit(query.limit),
      });
      return { messages: messages.map(deliveryJson) };
    },
    async redeliver(adminUserId, id) {
      const result = await redeliverParked(deps.db, deps.namespace, checkedId(id, 'id'));
      if (!result) throw outboxMessageNotFound(id);
      if (result.redelivered)
        deps.logger.info(
          { adminUserId, messageId: id, userId: result.message.userId },
          'parked outbox message put back in delivery',
        );
      return { redelivered: result.redelivered, message: deliveryJson(result.message) };
    },
  };
}

function deliveryJson(message: MessageDelivery) {
  return {
    ...outboxMessageJson(message),
    state: message.state,
    attempts: message.attempts,
    deliveredAt: formatTimestamp(message.deliveredAt),
    parkedAt: formatTimestamp(message.parkedAt),
    lastError: message.lastError ?? '',
  };
}

function checkedId(text: string, what: string): string {
  if (!MESSAGE_ID.test(text) || BigInt(text) > MAX_BIGINT)
    throw invalidRequest(
      `${what} must be an outbox message id (a positive whole number), got '${echoed(text)}'`,
    );
  return text;
}

function checkedLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PARKED_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PARKED_LIMIT)
    throw invalidRequest(`limit must be a whole number from 1 to ${MAX_PARKED_LIMIT}`);
  return limit;
}
