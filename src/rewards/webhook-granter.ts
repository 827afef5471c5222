/**
 * Grants rewards by POSTing them to a game-owned endpoint. Each attempt is signed over a fresh
 * timestamp and the exact body bytes (`sha256=HMAC(secret, "<timestamp>.<body>")`), and every retry of a
 * claim repeats the same `idempotency-key`, so the receiver can reject forgeries and replays and
 * apply each grant once.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  assertRetryPolicy,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRY_POLICY,
  sendWithRetry,
} from './retry.ts';
import type { GrantHooks, RewardGranter, WebhookRewardOptions } from './reward-granter.ts';

export const SIGNATURE_HEADER = 'x-challenge-signature';
export const TIMESTAMP_HEADER = 'x-challenge-timestamp';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** How far a signed timestamp may be from the receiver's clock before `verifyWebhookSignature` refuses it. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

export function createWebhookGranter(
  options: Omit<WebhookRewardOptions, 'mode'>,
  hooks: GrantHooks = {},
): RewardGranter {
  const url = parseWebhookUrl(options.url);
  if (options.secret === '') throw new Error('Webhook reward mode needs a non-empty signing secret');
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  assertRetryPolicy(policy);
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;

  return {
    mode: 'webhook',
    async grant(request) {
      const { reward } = request;
      const body = JSON.stringify({
        userId: request.userId,
        namespace: request.namespace,
        challengeId: request.challengeId,
        goalId: request.goalId,
        reward: { type: reward.type, rewardId: reward.rewardId, quantity: reward.quantity },
        idempotencyKey: request.idempotencyKey,
      });
      const send = (signal: AbortSignal) => {
        const timestamp = String(Math.floor(Date.now() / 1000));
        return fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [TIMESTAMP_HEADER]: timestamp,
            [SIGNATURE_HEADER]: signWebhookBody(options.secret, timestamp, body),
            [IDEMPOTENCY_KEY_HEADER]: request.idempotencyKey,
          },
          body,
          redirect: 'manual',
          signal,
        });
      };
      const description = `webhook ${reward.type} grant of '${reward.rewardId}' x${reward.quantity} to user '${request.userId}' for goal '${request.goalId}' via ${url.host}`;
      await sendWithRetry({ description, send }, { policy, requestTimeoutMs, hooks });
    },
  };
}

/** The `x-challenge-signature` value for a body sent at `timestamp` (unix seconds, as sent in its header). */
export function signWebhookBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Checks a received webhook: `body` must be the raw request text (not re-serialised JSON). Compares in
 * constant time, and refuses timestamps further than `toleranceSeconds` from `nowSeconds` so a captured
 * request cannot be replayed later (pass `Infinity` to skip that check).
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string,
  body: string,
  signature: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  const tolerance = options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS;
  const now = options.nowSeconds ?? Date.now() / 1000;
  if (Math.abs(now - Number(timestamp)) > tolerance) return false;
  const expected = Buffer.from(signWebhookBody(secret, timestamp, body), 'utf8');
  const received = Buffer.from(signature, 'utf8');
  return expected.length === received.length && timingSafeEqual(expected, received);
}

function parseWebhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`Reward webhook URL '${text}' is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`Reward webhook URL '${text}' must be an http(s) URL`);
  }
  return url;
}
