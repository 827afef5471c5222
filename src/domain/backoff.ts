/** Waits between retries of an outbound call (reward grants, outbox notifications). */

export interface BackoffDelays {
  /** The wait after the first failure, in milliseconds; each further failure doubles it. */
  readonly initialDelayMs: number;
  /** The cap on the doubled wait, in milliseconds. */
  readonly maxDelayMs: number;
}

/**
 * Delay before retry number `retry` (1 = after the first failed attempt): exponential, capped, with
 * "equal jitter" (half fixed, half random) so clients that failed together do not retry together
 * while the backend still gets a minimum pause.
 */
export function backoffDelayMs(
  delays: BackoffDelays,
  retry: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(delays.maxDelayMs, delays.initialDelayMs * 2 ** (retry - 1));
  return base / 2 + (random() * base) / 2;
}
