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
  /** `once`, or the UTC day (`YYYY-MM-DD`) for daily goals. */
  readonly period: string;
}

const escapePart = (part: string): string => part.replaceAll('%', '%25').replaceAll(':', '%3A');

export function claimIdempotencyKey(parts: ClaimKeyParts): string {
  return [parts.namespace, parts.userId, parts.goalId, parts.period].map(escapePart).join(':');
}
