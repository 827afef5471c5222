/** The contract between the claim flow and whichever backend actually hands out rewards. */
import type { Reward } from '../domain/types.ts';

export const REWARD_MODES = ['mock', 'ags', 'webhook'] as const;
export type RewardMode = (typeof REWARD_MODES)[number];

export interface GrantRequest {
  readonly userId: string;
  readonly namespace: string;
  readonly challengeId: string;
  readonly goalId: string;
  readonly reward: Reward;
  /** Stable across retries of the same claim: the backend must treat a repeat as the same grant. */
  readonly idempotencyKey: string;
}

export interface RewardGranter {
  readonly mode: RewardMode;
  /**
   * Resolves once the backend has granted the reward; rejects with `RewardGrantError` otherwise.
   * Transient failures are already retried inside, within the configured total time.
   */
  grant(request: GrantRequest): Promise<void>;
}

export type GrantOutcome = 'granted' | 'retry' | 'failed';

export interface GrantHooks {
  /** Called once per attempt (metrics, logs). `detail` never contains credentials. */
  readonly onAttempt?: (outcome: GrantOutcome, detail: string) => void;
}

/** Thrown when a grant did not happen. `permanent` = retrying the same request cannot succeed. */
export class RewardGrantError extends Error {
  override readonly name = 'RewardGrantError';
  readonly permanent: boolean;
  /** HTTP status of the last response from the backend, when there was one. */
  readonly status?: number;

  constructor(message: string, options: { permanent: boolean; status?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.permanent = options.permanent;
    if (options.status !== undefined) this.status = options.status;
  }
}

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Upper bound for all attempts and waits of one grant, so a claim never hangs on the backend. */
  readonly totalTimeoutMs: number;
}

export interface LatencyRange {
  readonly min: number;
  readonly max: number;
}

export interface MockRewardOptions {
  readonly mode: 'mock';
  /** Simulated backend latency per grant, in milliseconds (uniformly random in the range). */
  readonly latencyMs?: LatencyRange;
  /** For tests: return an error to make this grant fail instead of succeed. */
  readonly failWith?: (request: GrantRequest) => RewardGrantError | undefined;
  /** For tests: keep every granted request in `grants`. Off by default because the list only grows. */
  readonly record?: boolean;
}

export interface AgsRewardOptions {
  readonly mode: 'ags';
  /** AccelByte base URL, e.g. `https://demo.accelbyte.io` (no trailing path). */
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly retry?: RetryPolicy;
  /** Per HTTP request, in milliseconds; also capped by what is left of `retry.totalTimeoutMs`. */
  readonly requestTimeoutMs?: number;
}

export interface WebhookRewardOptions {
  readonly mode: 'webhook';
  readonly url: string;
  /** HMAC-SHA256 key for the `x-challenge-signature` header. */
  readonly secret: string;
  readonly retry?: RetryPolicy;
  /** Per HTTP request, in milliseconds; also capped by what is left of `retry.totalTimeoutMs`. */
  readonly requestTimeoutMs?: number;
}

export type RewardOptions = MockRewardOptions | AgsRewardOptions | WebhookRewardOptions;
