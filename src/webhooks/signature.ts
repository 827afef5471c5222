/**
 * How every outbound webhook is signed (reward grants and outbox notifications): an HMAC-SHA256
 * over a fresh timestamp and the exact body bytes, `sha256=HMAC(secret, "<timestamp>.<body>")`,
 * sent with an idempotency key that stays the same on every retry. A receiver can then reject
 * forgeries and replays, and apply each request once.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-challenge-signature';
export const TIMESTAMP_HEADER = 'x-challenge-timestamp';
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** How far a signed timestamp may be from the receiver's clock before `verifyWebhookSignature` refuses it. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** The headers of one attempt: signed now, so each retry carries a fresh timestamp and signature. */
export function signedWebhookHeaders(
  secret: string,
  body: string,
  idempotencyKey: string,
  nowMs: number = Date.now(),
): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    'content-type': 'application/json',
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: signWebhookBody(secret, timestamp, body),
    [IDEMPOTENCY_KEY_HEADER]: idempotencyKey,
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

/** A webhook target from configuration: an absolute http(s) URL. `what` names it in the error. */
export function parseWebhookUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${what} '${text}' is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`${what} '${text}' must be an http(s) URL`);
  }
  return url;
}
