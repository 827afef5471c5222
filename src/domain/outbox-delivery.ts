/**
 * The rules of webhook delivery of outbox messages: what is sent for a message, and what happens
 * after a failed attempt. Time and randomness are parameters.
 */
import { type BackoffDelays, backoffDelayMs } from './backoff.ts';
import type { Catalog } from './catalog.ts';
import { type OutboxMessage, type OutboxMessageJson, outboxMessageJson } from './outbox-message.ts';
import { rewardJson } from './reward-json.ts';

/** Where a message is in delivery: still to be received, received (a 2xx), or parked (a dead letter). */
export const DELIVERY_STATES = ['pending', 'delivered', 'parked'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface DeliveryPolicy extends BackoffDelays {
  /** Attempts before a message is parked (a dead letter); at least 1. */
  readonly maxAttempts: number;
}

/** The JSON body of a notification (README "Webhook notifications"). */
export interface NotificationBody extends OutboxMessageJson {
  /** As GET /v1/challenges shows it, from the configuration in force when sent; null for a goal no longer configured. */
  readonly reward: ReturnType<typeof rewardJson> | null;
}

export function notificationBody(message: OutboxMessage, catalog: Catalog): NotificationBody {
  const goal = catalog.goalById.get(message.goalId);
  const configured = goal !== undefined && goal.challengeId === message.challengeId;
  return {
    ...outboxMessageJson(message),
    reward: configured ? rewardJson(goal.reward) : null,
  };
}

export type FailureStep = { readonly kind: 'retry'; readonly delayMs: number } | { readonly kind: 'park' };

/**
 * After failed attempt number `attempts`: park once the attempts are used up, else retry after
 * the backoff, or after the receiver's Retry-After when it asked for one (never past the cap).
 */
export function afterFailure(
  policy: DeliveryPolicy,
  attempts: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): FailureStep {
  if (attempts >= policy.maxAttempts) return { kind: 'park' };
  const delayMs =
    retryAfterMs === undefined
      ? backoffDelayMs(policy, attempts, random)
      : Math.min(retryAfterMs, policy.maxDelayMs);
  return { kind: 'retry', delayMs };
}
