/**
 * The idempotency key a claim's grant carries: `{namespace}:{userId}:{goalId}:{period}`. Each part
 * has `%` and `:` percent-encoded, so no two claims share a key (user `a:b` + goal `c` is not user
 * `a` + goal `b:c`). Nothing else is escaped: a key of ids without `%` or `:` is exactly the plain
 * join, so keys already handed to reward backends stay the same.
 */

export interface ClaimKeyParts {
  readonly namespace: string;
  readonly userId: string;
  readonly goalId: string;
  /** `once`, or the UTC day (`YYYY-MM-DD`) for daily goals, or the rotation period's first day. */
  readonly period: string;
  /**
   * Which earning of this goal and period: 1, unless the player's progress row was deleted and the
   * goal earned again on a new one. Later earnings get `:<n>` appended, so a backend that
   * de-duplicates by key grants them too.
   */
  readonly earning?: number;
}

const escapePart = (part: string): string => part.replaceAll('%', '%25').replaceAll(':', '%3A');

export function claimIdempotencyKey(parts: ClaimKeyParts): string {
  const key = [parts.namespace, parts.userId, parts.goalId, parts.period].map(escapePart).join(':');
  const earning = parts.earning ?? 1;
  return earning > 1 ? `${key}:${earning}` : key;
}
