/**
 * Grants rewards through the AccelByte Platform Service REST API: ITEM rewards become entitlements,
 * WALLET rewards credit the currency named by `rewardId`. Neither endpoint takes an idempotency key,
 * so a retry after a lost response can grant twice; the wallet credit carries the key in `reason`
 * so such a duplicate can at least be traced.
 */
import { createAgsTokenSource } from './ags-token.ts';
import {
  assertRetryPolicy,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRY_POLICY,
  sendWithRetry,
} from './retry.ts';
import {
  type AgsRewardOptions,
  type GrantHooks,
  type GrantRequest,
  RewardGrantError,
  type RewardGranter,
} from './reward-granter.ts';

/** Entitlement quantities are int32 on the platform. */
const MAX_ITEM_QUANTITY = 2_147_483_647;

export function createAgsGranter(
  options: Omit<AgsRewardOptions, 'mode'>,
  hooks: GrantHooks = {},
): RewardGranter {
  const baseUrl = normaliseBaseUrl(options.baseUrl);
  if (options.clientId === '' || options.clientSecret === '') {
    throw new Error('AGS reward mode needs AB_CLIENT_ID and AB_CLIENT_SECRET');
  }
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  assertRetryPolicy(policy);
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const tokens = createAgsTokenSource({
    baseUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    requestTimeoutMs,
  });

  return {
    mode: 'ags',
    async grant(request) {
      let call: PlatformCall;
      try {
        call = platformCall(baseUrl, request);
      } catch (error) {
        hooks.onAttempt?.('failed', error instanceof Error ? error.message : String(error));
        throw error;
      }
      const send = async (signal: AbortSignal): Promise<Response> => {
        const init = (token: string): RequestInit => ({
          method: call.method,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: call.body,
          // A redirect would resend the bearer token somewhere else; treat it as an error instead.
          redirect: 'manual',
          signal,
        });
        const token = await tokens.get(signal);
        const response = await fetch(call.url, init(token));
        if (response.status !== 401) return response;
        // The token was revoked or expired early: one fresh token, then the answer stands.
        await response.body?.cancel();
        tokens.invalidate(token);
        return fetch(call.url, init(await tokens.get(signal)));
      };
      await sendWithRetry({ description: call.description, send }, { policy, requestTimeoutMs, hooks });
    },
  };
}

interface PlatformCall {
  readonly method: 'POST' | 'PUT';
  readonly url: string;
  readonly body: string;
  readonly description: string;
}

function platformCall(baseUrl: string, request: GrantRequest): PlatformCall {
  const { reward, namespace, userId } = request;
  const description = `AGS ${reward.type} grant of '${reward.rewardId}' x${reward.quantity} to user '${userId}' for goal '${request.goalId}'`;
  const maxQuantity = reward.type === 'ITEM' ? MAX_ITEM_QUANTITY : Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(reward.quantity) || reward.quantity < 1 || reward.quantity > maxQuantity) {
    throw new RewardGrantError(`${description}: quantity must be a whole number from 1 to ${maxQuantity}`, {
      permanent: true,
    });
  }
  const user = `${baseUrl}/platform/admin/namespaces/${encodeURIComponent(namespace)}/users/${encodeURIComponent(userId)}`;
  switch (reward.type) {
    case 'ITEM':
      return {
        method: 'POST',
        url: `${user}/entitlements`,
        body: JSON.stringify([
          { itemId: reward.rewardId, itemNamespace: namespace, quantity: reward.quantity },
        ]),
        description,
      };
    case 'WALLET':
      return {
        method: 'PUT',
        url: `${user}/wallets/${encodeURIComponent(reward.rewardId)}/credit`,
        body: JSON.stringify({ amount: reward.quantity, reason: `challenge:${request.idempotencyKey}` }),
        description,
      };
  }
}

function normaliseBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`AB_BASE_URL '${text}' is not a valid URL (expected e.g. https://demo.accelbyte.io)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`AB_BASE_URL '${text}' must be an http(s) URL`);
  }
  return url.toString().replace(/\/+$/, '');
}
