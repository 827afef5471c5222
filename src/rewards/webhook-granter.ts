/**
 * Grants rewards by POSTing them to a game-owned endpoint, signed as every outbound webhook is
 * (webhooks/signature.ts); every retry of a claim repeats the same `idempotency-key`, so the
 * receiver can reject forgeries and replays and apply each grant once.
 */
import { parseWebhookUrl, signedWebhookHeaders } from '../webhooks/signature.ts';
import {
  assertRetryPolicy,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRY_POLICY,
  sendWithRetry,
} from './retry.ts';
import type { GrantHooks, RewardGranter, WebhookRewardOptions } from './reward-granter.ts';

export function createWebhookGranter(
  options: Omit<WebhookRewardOptions, 'mode'>,
  hooks: GrantHooks = {},
): RewardGranter {
  const url = parseWebhookUrl(options.url, 'Reward webhook URL');
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
      const send = (signal: AbortSignal) =>
        fetch(url, {
          method: 'POST',
          headers: signedWebhookHeaders(options.secret, body, request.idempotencyKey),
          body,
          redirect: 'manual',
          signal,
        });
      const description = `webhook ${reward.type} grant of '${reward.rewardId}' x${reward.quantity} to user '${request.userId}' for goal '${request.goalId}' via ${url.host}`;
      await sendWithRetry({ description, send }, { policy, requestTimeoutMs, hooks });
    },
  };
}
