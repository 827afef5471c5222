/**
 * Bounded retries for HTTP reward backends. A claim waits on this, so every grant ends within
 * `totalTimeoutMs` whatever the backend does: each attempt gets `AbortSignal.timeout` of at most the
 * time left, and no retry starts that would have less than a fair part of it (a second by default).
 */
import { backoffDelayMs } from '../domain/backoff.ts';
import { type GrantHooks, type RetryPolicy, RewardGrantError } from './reward-granter.ts';

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  initialDelayMs: 200,
  maxDelayMs: 2_000,
  totalTimeoutMs: 10_000,
};

export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/** The least time a retry must have; less when the request timeout, or a fifth of the budget, is shorter. */
const MIN_ATTEMPT_MS = 1_000;

/** 408, 429 and 5xx may succeed later; any other non-2xx answer will not (bad request, auth, unknown item). */
export function classifyStatus(status: number): 'ok' | 'retry' | 'permanent' {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'permanent';
}

/** `Retry-After` as delay-seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  // HTTP dates always name the weekday and month; this keeps `Date.parse` from reading "-3" as a year.
  const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

export function assertRetryPolicy(policy: RetryPolicy): void {
  const { maxAttempts, initialDelayMs, maxDelayMs, totalTimeoutMs } = policy;
  const valid =
    Number.isSafeInteger(maxAttempts) &&
    maxAttempts >= 1 &&
    [initialDelayMs, maxDelayMs, totalTimeoutMs].every((ms) => Number.isFinite(ms) && ms >= 0) &&
    totalTimeoutMs > 0;
  if (!valid) {
    throw new Error(
      `Invalid reward retry policy ${JSON.stringify(policy)}: maxAttempts must be a whole number >= 1, delays >= 0 ms and totalTimeoutMs > 0`,
    );
  }
}

export interface HttpCall {
  /** Names the grant in errors and hooks; must not contain credentials. */
  readonly description: string;
  /** One attempt. May throw `RewardGrantError` to decide the outcome itself; anything else is transient. */
  readonly send: (signal: AbortSignal) => Promise<Response>;
}

export interface RetrySettings {
  readonly policy: RetryPolicy;
  readonly requestTimeoutMs: number;
  readonly hooks: GrantHooks;
}

type AttemptResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'permanent'; readonly error: RewardGrantError }
  | { readonly kind: 'retry'; readonly error: RewardGrantError; readonly retryAfterMs?: number };

/** Resolves when an attempt got a 2xx; otherwise throws `RewardGrantError` (see `classifyStatus`). */
export async function sendWithRetry(call: HttpCall, settings: RetrySettings): Promise<void> {
  const { policy, requestTimeoutMs, hooks } = settings;
  const started = performance.now();
  const deadline = started + policy.totalTimeoutMs;
  let attempt = 0;
  let stopReason: string;
  let lastError: RewardGrantError;

  for (;;) {
    attempt += 1;
    const timeoutMs = Math.max(1, Math.min(requestTimeoutMs, deadline - performance.now()));
    const result = await attemptOnce(call, timeoutMs);
    if (result.kind === 'ok') {
      hooks.onAttempt?.('granted', `${call.description} (attempt ${attempt})`);
      return;
    }
    if (result.kind === 'permanent') {
      const { status } = result.error;
      const error = new RewardGrantError(`${call.description} not granted: ${result.error.message}`, {
        permanent: true,
        ...(status === undefined ? {} : { status }),
        cause: result.error,
      });
      hooks.onAttempt?.('failed', error.message);
      throw error;
    }
    lastError = result.error;
    if (attempt >= policy.maxAttempts) {
      stopReason = `all ${attempt} attempts failed`;
      break;
    }
    const waitMs = result.retryAfterMs ?? backoffDelayMs(policy, attempt);
    const leftMs = deadline - performance.now();
    // An attempt cut off after a few milliseconds may still reach the backend and be applied there
    // while the claim reports a failure: one that cannot get a fair time is not started.
    const fairMs = Math.min(requestTimeoutMs, MIN_ATTEMPT_MS, policy.totalTimeoutMs / 5);
    if (waitMs + fairMs > leftMs) {
      stopReason = `gave up after ${attempt} attempt(s): waiting ${Math.round(waitMs)} ms would leave another attempt less than ${Math.round(fairMs)} ms of the ${policy.totalTimeoutMs} ms budget`;
      break;
    }
    hooks.onAttempt?.(
      'retry',
      `${call.description}: ${lastError.message}; retrying in ${Math.round(waitMs)} ms (attempt ${attempt} of ${policy.maxAttempts})`,
    );
    await Bun.sleep(waitMs);
  }

  const error = new RewardGrantError(
    `${call.description} not granted: ${stopReason}; last error: ${lastError.message}`,
    {
      permanent: false,
      ...(lastError.status === undefined ? {} : { status: lastError.status }),
      cause: lastError,
    },
  );
  hooks.onAttempt?.('failed', error.message);
  throw error;
}

async function attemptOnce(call: HttpCall, timeoutMs: number): Promise<AttemptResult> {
  let response: Response;
  try {
    response = await call.send(AbortSignal.timeout(timeoutMs));
  } catch (error) {
    if (error instanceof RewardGrantError) {
      return error.permanent ? { kind: 'permanent', error } : { kind: 'retry', error };
    }
    return {
      kind: 'retry',
      error: new RewardGrantError(describeFailure(error, timeoutMs), { permanent: false, cause: error }),
    };
  }

  const status = response.status;
  const verdict = classifyStatus(status);
  if (verdict === 'ok') {
    // The grant happened; a slow or broken body must not turn it into a failure.
    discardBody(response);
    return { kind: 'ok' };
  }
  const message = `HTTP ${status}${await bodySnippet(response)}`;
  if (verdict === 'permanent') {
    return { kind: 'permanent', error: new RewardGrantError(message, { permanent: true, status }) };
  }
  const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'));
  const error = new RewardGrantError(message, { permanent: false, status });
  return retryAfterMs === undefined ? { kind: 'retry', error } : { kind: 'retry', error, retryAfterMs };
}

/** Network errors and timeouts, without the request (which may carry credentials in headers). */
export function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError')
    return `no response within ${Math.round(timeoutMs)} ms`;
  if (error instanceof Error) return `request failed: ${error.message}`;
  return `request failed: ${String(error)}`;
}

/** Of a body this long or shorter everything is read, so the connection can be kept; past it, the rest is dropped. */
const DRAINED_BODY_BYTES = 64 * 1024;
const SNIPPET_BODY_BYTES = 1024;

/**
 * Up to `maxBytes` of the body; the rest is cancelled unread. A receiver may answer with a body
 * that never ends: read whole, it would grow the process without bound until the timeout.
 */
async function readPrefix(response: Response, maxBytes: number): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < maxBytes) {
      const { done, value } = await reader.read();
      if (done) return Buffer.concat(chunks);
      chunks.push(value);
      length += value.byteLength;
    }
    await reader.cancel().catch(() => {});
    return Buffer.concat(chunks).subarray(0, maxBytes);
  } catch {
    await reader.cancel().catch(() => {});
    return Buffer.concat(chunks);
  }
}

/** Lets go of a successful answer's body: a short one is read (the connection stays usable), a long one cut. */
export function discardBody(response: Response): void {
  void readPrefix(response, DRAINED_BODY_BYTES);
}

/** The start of an error body (AGS puts `errorCode`/`errorMessage` there), for operators reading logs. */
export async function bodySnippet(response: Response): Promise<string> {
  const bytes = await readPrefix(response, SNIPPET_BODY_BYTES);
  // A multi-byte character cut at the end decodes to U+FFFD.
  const text = new TextDecoder().decode(bytes).trim().replace(/\s+/g, ' ');
  if (text === '') return '';
  return `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}
