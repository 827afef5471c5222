/**
 * What a goal event carries, and how a stream tells whether a goal looks as it was last sent.
 */

const HASH_BITS = (1n << 52n) - 1n;

/**
 * A goal's text without `expiresInSeconds` (which moves with the clock), hashed to 52 bits: the
 * chance that a changed goal looks unchanged is 2^-52 per event.
 */
export function lookOf(goal: string): number {
  const hash = Bun.hash(goal.slice(0, goal.lastIndexOf(',"expiresInSeconds":')));
  return typeof hash === 'bigint' ? Number(hash & HASH_BITS) : hash;
}

/** A goal event's data: what happened, when, and the goal as the list shows it after the change. */
export const goalEventData = (
  type: string,
  challengeId: string,
  goalId: string,
  occurredAt: Date,
  goal: string,
) =>
  `{"type":"${type}","challengeId":${JSON.stringify(challengeId)},"goalId":${JSON.stringify(goalId)},` +
  `"occurredAt":"${occurredAt.toISOString()}","goal":${goal}}`;
