/**
 * One notification attempt: the message POSTed as JSON to NOTIFY_WEBHOOK_URL, signed as every
 * outbound webhook is (webhooks/signature.ts), with the message id as its idempotency key. Any 2xx
 * is delivered; anything else, and no answer within the timeout, is a failure to retry.
 */
import type { NotificationBody } from '../domain/outbox-delivery.ts';
import { bodySnippet, describeFailure, discardBody, parseRetryAfterMs } from '../rewards/retry.ts';
import { parseWebhookUrl, signedWebhookHeaders } from '../webhooks/signature.ts';

export type SendOutcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'failed'; readonly error: string; readonly retryAfterMs?: number }
  /** Cut short by `signal` (shutdown): neither delivered nor a failure of the receiver. */
  | { readonly kind: 'aborted' };

export type SendNotification = (body: NotificationBody, signal: AbortSignal) => Promise<SendOutcome>;

export function createWebhookSender(options: {
  readonly url: string;
  readonly secret: string;
  readonly timeoutMs: number;
}): SendNotification {
  const url = parseWebhookUrl(options.url, 'NOTIFY_WEBHOOK_URL');
  if (options.secret === '') throw new Error('NOTIFY_WEBHOOK_SECRET must not be empty');
  return async (notification, signal) => {
    const body = JSON.stringify(notification);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: signedWebhookHeaders(options.secret, body, notification.id),
        body,
        redirect: 'manual',
        signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
      });
    } catch (error) {
      if (signal.aborted) return { kind: 'aborted' };
      return { kind: 'failed', error: describeFailure(error, options.timeoutMs) };
    }
    if (response.status >= 200 && response.status < 300) {
      // Delivered; a slow or broken body must not turn it into a failure.
      discardBody(response);
      return { kind: 'delivered' };
    }
    const error = `HTTP ${response.status}${await bodySnippet(response)}`;
    const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'));
    return retryAfterMs === undefined ? { kind: 'failed', error } : { kind: 'failed', error, retryAfterMs };
  };
}
