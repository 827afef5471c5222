/**
 * The claims ledger (`reward_claims`). A claim is reserved in a short transaction, granted with no
 * lock or connection held, then recorded as granted with the progress row in a second transaction.
 *
 * Leases are decided on database time (`clock_timestamp()`), never on the caller's clock: replicas
 * whose clocks disagree still agree on whether a reservation is live. Ownership is the lease token:
 * a takeover replaces it under the ledger row lock, so a request whose token still matches when it
 * records the grant knows nobody else took over.
 */

import { rewardJson } from '../domain/reward-json.ts';
import { REWARD_TYPES, type Reward } from '../domain/types.ts';
import type { Db } from './client.ts';

export interface ClaimKey {
  readonly userId: string;
  readonly goalId: string;
  readonly period: string;
}

export type Reservation =
  /**
   * This request holds the lease: grant `reward` (what was reserved first, which a takeover keeps)
   * with `idempotencyKey`, then record or release.
   */
  | {
      readonly kind: 'reserved';
      readonly leaseToken: string;
      readonly idempotencyKey: string;
      readonly reward: Reward;
    }
  /** Another live request is granting this reward right now. */
  | { readonly kind: 'in_progress' }
  /** Granted already (the progress row is claimed or about to be). */
  | { readonly kind: 'granted'; readonly grantedAt: Date };

/** A claim's ledger entry, as `lockClaim` read it. */
export interface LedgerEntry {
  readonly status: 'pending' | 'granted';
  /** A pending reservation whose lease has not run out, on database time. */
  readonly live: boolean;
  readonly grantedAt: Date | null;
  readonly idempotencyKey: string;
  /** The `reward` column, read by `rewardFromColumn` when a takeover needs it. */
  readonly reward: unknown;
  readonly rowId: string | null;
  readonly earning: number;
  /** The backend refused this entry's last grant for good: the next claim grants the reward in force. */
  readonly refused: boolean;
}

/**
 * The ledger entry for `key`, locked for the rest of the transaction; undefined when there is none.
 * Send it right behind the progress row's lock (the claim's lock order: row, then ledger): both go
 * in one round trip.
 */
export async function lockClaim(db: Db, key: ClaimKey): Promise<LedgerEntry | undefined> {
  const rows = await db<
    {
      status: 'pending' | 'granted';
      live: boolean | null;
      granted_at: Date | null;
      idempotency_key: string;
      reward: unknown;
      row_id: string | null;
      earning: number;
      refused: boolean;
    }[]
  >`select status, lease_until > clock_timestamp() as live, granted_at, idempotency_key, reward,
      row_id, earning, refused_at is not null as refused
    from reward_claims
    where user_id = ${key.userId} and goal_id = ${key.goalId} and period = ${key.period}
    for update`;
  const row = rows[0];
  if (!row) return undefined;
  return {
    status: row.status,
    live: row.live === true,
    grantedAt: row.granted_at,
    idempotencyKey: row.idempotency_key,
    reward: row.reward,
    rowId: row.row_id,
    earning: row.earning,
    refused: row.refused,
  };
}

/**
 * The earning number of the claim for `key` that a player's erasure deleted (src/db/erasure.ts),
 * or 0: a claim with no ledger entry is the next earning after it.
 */
export async function erasedEarning(db: Db, namespace: string, key: ClaimKey): Promise<number> {
  const rows = await db<{ earning: number }[]>`
    select earning from erased_claims
    where digest = claim_digest(${namespace}, ${key.userId}, ${key.goalId}, ${key.period})`;
  return rows[0]?.earning ?? 0;
}

/**
 * Reserves the claim for `key`, whose entry `lockClaim` read as `current` in this transaction, with
 * a lease of `leaseMs` from now in database time. A pending reservation whose lease ran out belongs
 * to a request that died or stalled between grant and record: it is taken over with the SAME
 * idempotency key and the SAME reward, so the backend sees a repeat of that grant rather than a new
 * one. `idempotencyKey` and `reward` are used only when there is no reservation yet. Call inside a
 * transaction holding the progress row lock.
 */
export async function reserveClaim(
  db: Db,
  key: ClaimKey,
  current: LedgerEntry | undefined,
  input: {
    challengeId: string;
    namespace: string;
    /** The key for the n-th earning of this goal and period (see domain/claim-key.ts). */
    idempotencyKey: (earning: number) => string;
    reward: Reward;
    leaseMs: number;
    /** The progress row's `row_id`: an entry reserved on an earlier row of this goal no longer applies. */
    rowId: string | null;
    /** `erasedEarning` for `key`: where the numbering goes on when there is no entry. */
    erasedEarning: number;
  },
): Promise<Reservation> {
  // The reservation's commit need not wait for its WAL to reach disk. Lost in a database crash, it
  // is made again from what is durable: the same idempotency key (the earning number comes from the
  // ledger row it updates, or is 1 when there is none), so a backend asked twice sees one grant,
  // as after any crash between grant and record. It is visible to other transactions at commit
  // either way, which is what the lease needs. The record of the grant is a normal commit, and
  // flushing it flushes this one too. Sent with the write, in the same round trip.
  const asynchronousCommit = () => db`set local synchronous_commit = off`;
  const leaseToken = crypto.randomUUID();
  const leaseUntil = () => db`clock_timestamp() + ${input.leaseMs}::float8 * interval '1 millisecond'`;
  if (current && current.rowId !== input.rowId) {
    // Reserved (and perhaps granted) on a progress row that has since been deleted: this is a new
    // earning of the goal, claimed afresh under the next earning number.
    const earning = current.earning + 1;
    const idempotencyKey = input.idempotencyKey(earning);
    await Promise.all([
      asynchronousCommit(),
      db`update reward_claims set status = 'pending', granted_at = null, lease_token = ${leaseToken},
        lease_until = ${leaseUntil()}, idempotency_key = ${idempotencyKey},
        reward = ${db.json(rewardJson(input.reward))}, row_id = ${input.rowId},
        earning = ${earning}, created_at = clock_timestamp()
      where user_id = ${key.userId} and goal_id = ${key.goalId} and period = ${key.period}`,
    ]);
    return { kind: 'reserved', leaseToken, idempotencyKey, reward: input.reward };
  }
  if (current?.status === 'granted' && current.grantedAt)
    return { kind: 'granted', grantedAt: current.grantedAt };
  if (current?.live) return { kind: 'in_progress' };
  if (current) {
    // Repeated as reserved, unless the backend refused it for good: then with the reward in force.
    const reward = current.refused ? input.reward : rewardFromColumn(current.reward, key);
    await Promise.all([
      asynchronousCommit(),
      db`update reward_claims set lease_token = ${leaseToken}, lease_until = ${leaseUntil()},
        reward = ${db.json(rewardJson(reward))}, refused_at = null
      where user_id = ${key.userId} and goal_id = ${key.goalId} and period = ${key.period}`,
    ]);
    return { kind: 'reserved', leaseToken, idempotencyKey: current.idempotencyKey, reward };
  }
  const earning = input.erasedEarning + 1;
  const idempotencyKey = input.idempotencyKey(earning);
  await Promise.all([
    asynchronousCommit(),
    db`insert into reward_claims
      (user_id, goal_id, period, challenge_id, namespace, idempotency_key, reward, status, lease_token, lease_until,
       row_id, earning)
    values (${key.userId}, ${key.goalId}, ${key.period}, ${input.challengeId}, ${input.namespace},
      ${idempotencyKey}, ${db.json(rewardJson(input.reward))}, 'pending', ${leaseToken}, ${leaseUntil()},
      ${input.rowId}, ${earning})`,
  ]);
  return { kind: 'reserved', leaseToken, idempotencyKey, reward: input.reward };
}

/**
 * Records the grant if this request still owns the reservation (its lease token is the current
 * one), however late: a lease that ran out without a takeover is still this request's. False when
 * another request took the reservation over or it is gone; the caller must not report success.
 */
export async function recordGrant(db: Db, key: ClaimKey, leaseToken: string, now: Date): Promise<boolean> {
  const rows = await db`update reward_claims
    set status = 'granted', granted_at = ${now}, lease_token = null, lease_until = null
    where user_id = ${key.userId} and goal_id = ${key.goalId} and period = ${key.period}
      and status = 'pending' and lease_token = ${leaseToken}
    returning 1`;
  return rows.length === 1;
}

/** When the claim for `key` was recorded as granted; undefined while pending or when there is none. */
export async function findGrantedAt(db: Db, key: ClaimKey): Promise<Date | undefined> {
  const rows = await db<{ granted_at: Date }[]>`select granted_at from reward_claims
    where user_id = ${key.userId} and goal_id = ${key.goalId} and period = ${key.period}
      and status = 'granted'`;
  return rows[0]?.granted_at;
}

/**
 * Ends the lease of a reservation whose grant failed, so the goal can be claimed again at once. The
 * entry stays pending with its earning and key, so a later earning is still numbered after it: the
 * next claim repeats the grant with the same reward, as the backend may have applied it, or, when
 * the backend `refused` it for good, with the reward in force then.
 */
export async function releaseClaim(
  db: Db,
  key: ClaimKey,
  leaseToken: string,
  refused: boolean,
): Promise<void> {
  await db`update reward_claims set lease_token = null, lease_until = null,
      refused_at = case when ${refused}::boolean then clock_timestamp() end
    where user_id = ${key.userId} and goal_id = ${key.goalId} and period = ${key.period}
      and status = 'pending' and lease_token = ${leaseToken}`;
}

/**
 * The `reward` column: the ledger's own record of what a claim grants, read back when a retry takes
 * a reservation over. Not the API's rendering of a reward: rows written today must stay readable
 * whatever the wire format or the configuration become.
 */

function rewardFromColumn(value: unknown, key: ClaimKey): Reward {
  const column = (value ?? {}) as Record<string, unknown>;
  const { type, rewardId, quantity } = column;
  if (
    !REWARD_TYPES.includes(type as Reward['type']) ||
    typeof rewardId !== 'string' ||
    typeof quantity !== 'number'
  ) {
    throw new Error(
      `reward_claims row (${key.userId}, ${key.goalId}, ${key.period}) has an unreadable reward: ${JSON.stringify(value)}`,
    );
  }
  return { type: type as Reward['type'], rewardId, quantity };
}
