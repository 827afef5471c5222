/**
 * The claims ledger (`reward_claims`). A claim is reserved in a short transaction, granted with no
 * lock or connection held, then recorded as granted with the progress row in a second transaction.
 */
import type { Reward } from '../domain/types.ts';
import type { Db } from './client.ts';

export interface ClaimKey {
  readonly userId: string;
  readonly goalId: string;
  readonly period: string;
}

export type Reservation =
  /** This request holds the lease: grant the reward with `idempotencyKey`, then complete or release. */
  | { readonly kind: 'reserved'; readonly leaseToken: string; readonly idempotencyKey: string }
  /** Another live request is granting this reward right now. */
  | { readonly kind: 'in_progress' }
  /** Granted already (the progress row is claimed or about to be). */
  | { readonly kind: 'granted'; readonly grantedAt: Date };

/**
 * Reserves the claim for `key`. A pending reservation whose lease ran out belongs to a request that
 * died between grant and commit: it is taken over with the SAME idempotency key, so the backend sees
 * a repeat of the same grant rather than a new one. Call inside a transaction holding the progress row lock.
 */
export async function reserveClaim(
  db: Db,
  key: ClaimKey,
  input: { challengeId: string; namespace: string; reward: Reward; now: Date; leaseMs: number },
): Promise<Reservation> {
  const leaseToken = crypto.randomUUID();
  const leaseUntil = new Date(input.now.getTime() + input.leaseMs);
  const existing = await db<
    {
      status: 'pending' | 'granted';
      lease_until: Date | null;
      granted_at: Date | null;
      idempotency_key: string;
    }[]
  >`select status, lease_until, granted_at, idempotency_key from reward_claims
    where user_id = ${key.userId} and goal_id = ${key.goalId} and period = ${key.period}
    for update`;
  const current = existing[0];
  if (current?.status === 'granted' && current.granted_at)
    return { kind: 'granted', grantedAt: current.granted_at };
  if (current?.lease_until && current.lease_until > input.now) return { kind: 'in_progress' };
  if (current) {
    await db`update reward_claims set lease_token = ${leaseToken}, lease_until = ${leaseUntil}
      where user_id = ${key.userId} and goal_id = ${key.goalId} and period = ${key.period}`;
    return { kind: 'reserved', leaseToken, idempotencyKey: current.idempotency_key };
  }
  const idempotencyKey = `${input.namespace}:${key.userId}:${key.goalId}:${key.period}`;
  await db`insert into reward_claims
      (user_id, goal_id, period, challenge_id, namespace, idempotency_key, reward, status, lease_token, lease_until, created_at)
    values (${key.userId}, ${key.goalId}, ${key.period}, ${input.challengeId}, ${input.namespace}, ${idempotencyKey},
      ${db.json(rewardJson(input.reward))}, 'pending', ${leaseToken}, ${leaseUntil}, ${input.now})`;
  return { kind: 'reserved', leaseToken, idempotencyKey };
}

/** Records the grant; false when this request no longer holds the lease. */
export async function recordGrant(db: Db, key: ClaimKey, leaseToken: string, now: Date): Promise<boolean> {
  const rows = await db`update reward_claims
    set status = 'granted', granted_at = ${now}, lease_token = null, lease_until = null
    where user_id = ${key.userId} and goal_id = ${key.goalId} and period = ${key.period}
      and status = 'pending' and lease_token = ${leaseToken}
    returning 1`;
  return rows.length === 1;
}

/** Drops a reservation whose grant failed, so the goal can be claimed again. */
export async function releaseClaim(db: Db, key: ClaimKey, leaseToken: string): Promise<void> {
  await db`delete from reward_claims
    where user_id = ${key.userId} and goal_id = ${key.goalId} and period = ${key.period}
      and status = 'pending' and lease_token = ${leaseToken}`;
}

const rewardJson = (reward: Reward) => ({
  type: reward.type,
  rewardId: reward.rewardId,
  quantity: reward.quantity,
});
