/**
 * Claiming a completed goal's reward. Three steps so that no row lock or pool connection is held
 * while the reward backend works (it may take seconds):
 *   1. short transaction: lock the progress row, apply the claim rules, reserve the claim in the ledger;
 *   2. grant the reward with the reservation's stable idempotency key, outside any transaction;
 *   3. short transaction: record the grant and mark the row claimed.
 * Concurrent claims of one goal serialise on the row lock in step 1; all but the first find the
 * reservation and get GOAL_ALREADY_CLAIMED. If the process dies between 2 and 3, the reservation's
 * lease runs out and the next claim repeats the grant with the same idempotency key and reward.
 * A request that was only slow (grant or step 3 past its lease) may find that such a retry took
 * its reservation over: step 3 then records nothing and answers GOAL_ALREADY_CLAIMED, because the
 * retry owns the outcome and its grant repeats this one under the same key.
 */

import type { ChangeNotices } from '../db/change-notices.ts';
import type { Db, Pool } from '../db/client.ts';
import {
  type EarnedCompletion,
  getProgressStates,
  lockProgressState,
  markClaimed,
} from '../db/progress-rows.ts';
import {
  type ClaimKey,
  erasedEarning,
  findGrantedAt,
  lockClaim,
  recordGrant,
  releaseClaim,
  reserveClaim,
} from '../db/reward-claims.ts';
import { type CurrentCatalog, findGoalInChallenge } from '../domain/catalog.ts';
import { claimIdempotencyKey } from '../domain/claim-key.ts';
import { decideClaim } from '../domain/claim-rules.ts';
import {
  challengeNotFound,
  goalAlreadyClaimed,
  goalNotActive,
  goalNotFound,
  rewardGrantFailed,
} from '../domain/errors.ts';
import { claimPeriod, viewProgress } from '../domain/progress-view.ts';
import { rewardJson } from '../domain/reward-json.ts';
import { nextPeriodStart } from '../domain/rotation.ts';
import { formatTimestamp } from '../domain/time.ts';
import type { GoalStatus, ProgressState, Reward } from '../domain/types.ts';
import { RewardGrantError, type RewardGranter } from '../rewards/reward-granter.ts';

export interface ClaimResponse {
  readonly goalId: string;
  readonly status: 'claimed';
  readonly reward: ReturnType<typeof rewardJson>;
  readonly claimedAt: string;
}

export type ClaimOutcome = 'claimed' | 'rejected' | 'grant_failed';

export interface ClaimDeps {
  readonly pool: Pool;
  /** Announces a goal marked claimed, after the mark committed. */
  readonly notices: ChangeNotices;
  readonly catalog: CurrentCatalog;
  readonly namespace: string;
  readonly granter: RewardGranter;
  /**
   * How long a reservation stays owned by its request, counted on database time; longer than the
   * granter's total retry budget.
   */
  readonly leaseMs: number;
  readonly clock: () => Date;
  readonly onOutcome?: (outcome: ClaimOutcome) => void;
}

export interface ClaimOptions {
  /**
   * Runs in the transaction that records the grant and marks the goal claimed, after both, with
   * the row as it was before the mark (undefined when it is gone): what it writes (an admin's audit
   * entry) commits with the claim or not at all. Not called when the claim is refused.
   */
  readonly withinClaim?: (tx: Db, before: ProgressState | undefined) => Promise<void>;
}

export type ClaimReward = (
  userId: string,
  challengeId: string,
  goalId: string,
  options?: ClaimOptions,
) => Promise<ClaimResponse>;

/**
 * The completion a claim is for, from the row as the claim locked it: for rotating goals, whose
 * next period may start the row over before the claim is recorded (none for rows without a
 * `row_id` or a period).
 */
const earnedOf = (row: ProgressState & { readonly rowId: string | null }): EarnedCompletion | null =>
  row.rowId && row.completedAt && row.periodStart
    ? {
        rowId: row.rowId,
        periodStart: row.periodStart,
        progress: row.progress,
        baselineValue: row.baselineValue,
        completedAt: row.completedAt,
      }
    : null;

export function createClaimReward(deps: ClaimDeps): ClaimReward {
  const { pool, namespace, granter, clock } = deps;
  const report = deps.onOutcome ?? (() => {});

  return async (userId, challengeId, goalId, options = {}) => {
    const catalog = deps.catalog();
    if (!catalog.challengeById.has(challengeId)) throw challengeNotFound(challengeId);
    const goal = findGoalInChallenge(catalog, challengeId, goalId);
    if (!goal) throw goalNotFound(goalId, challengeId);

    // A claim is for one period and may mark only that period's completion: a daily goal's UTC
    // day, or a reselectable rotating goal's rotation period.
    const periodOf = (period: string, earned: EarnedCompletion | null) => {
      const progressDay = goal.type === 'daily' ? period : null;
      const { rotation } = goal;
      const reselected = rotation?.allowReselection
        ? { start: period, endsAt: nextPeriodStart(rotation.schedule, new Date(`${period}T00:00:00Z`)) }
        : null;
      const onceEver = rotation !== null && progressDay === null && reselected === null;
      return { progressDay, period: reselected, earnedOn: onceEver ? earned : null };
    };
    let reservation: {
      key: ClaimKey;
      leaseToken: string;
      idempotencyKey: string;
      reward: Reward;
      earned: EarnedCompletion | null;
    };
    try {
      const reserved = await pool.begin(async (tx) => {
        const now = clock();
        const key = { userId, goalId, period: claimPeriod(goal, now) };
        // One round trip: the progress row's lock and read, the prerequisites, the ledger entry's
        // lock, sent in the claim's lock order (row, then ledger), and an erased entry's earning.
        const [row, others, entry, erased] = await Promise.all([
          lockProgressState(tx, userId, goalId),
          goal.prerequisites.length > 0 ? getProgressStates(tx, userId) : [],
          lockClaim(tx, key),
          erasedEarning(tx, namespace, key),
        ]);
        const view = viewProgress(goal, row, now);
        const statusOf = (id: string): GoalStatus => {
          const prerequisite = catalog.goalById.get(id);
          const prerequisiteRow = others.find((other) => other.goalId === id);
          return prerequisite ? viewProgress(prerequisite, prerequisiteRow, now).status : 'not_started';
        };
        decideClaim(goal, view, row !== undefined, statusOf);
        // decideClaim refused a missing row (GOAL_NOT_ACTIVE); the guard only tells the compiler.
        if (!row) throw goalNotActive(goalId, challengeId);
        const { period } = key;
        const reserved = await reserveClaim(tx, key, entry, {
          challengeId,
          namespace,
          idempotencyKey: (earning) => claimIdempotencyKey({ namespace, userId, goalId, period, earning }),
          reward: goal.reward,
          leaseMs: deps.leaseMs,
          rowId: row.rowId,
          erasedEarning: erased,
        });
        if (reserved.kind === 'in_progress') throw goalAlreadyClaimed(goalId, '');
        if (reserved.kind === 'granted') {
          // Ledger says granted but the row was not marked: finish the bookkeeping (returning, not
          // throwing, so the fix commits), still a repeat claim.
          const marked = await markClaimed(tx, {
            userId,
            goalId,
            ...periodOf(period, earnedOf(row)),
            now: reserved.grantedAt,
          });
          return { kind: 'granted' as const, grantedAt: reserved.grantedAt, marked };
        }
        return {
          kind: 'reserved' as const,
          key,
          leaseToken: reserved.leaseToken,
          idempotencyKey: reserved.idempotencyKey,
          reward: reserved.reward,
          earned: earnedOf(row),
        };
      });
      if (reserved.kind === 'granted') {
        if (reserved.marked) deps.notices.outboxChanged([userId]);
        throw goalAlreadyClaimed(goalId, formatTimestamp(reserved.grantedAt));
      }
      reservation = reserved;
    } catch (error) {
      report('rejected');
      throw error;
    }

    try {
      await granter.grant({
        userId,
        namespace,
        challengeId,
        goalId,
        reward: reservation.reward,
        idempotencyKey: reservation.idempotencyKey,
      });
    } catch (error) {
      const refused = error instanceof RewardGrantError && error.permanent;
      await releaseClaim(pool, reservation.key, reservation.leaseToken, refused);
      report('grant_failed');
      throw rewardGrantFailed(goalId, error);
    }

    const claimedAt = clock();
    const { key, leaseToken } = reservation;
    // Progress row first, then ledger: the same lock order as step 1, or a claim waiting in step 1
    // (holding the row, wanting the ledger row) deadlocks with this one. The grant is recorded
    // first so that nothing is written unless this request still owns the reservation.
    const lost = await pool.begin(async (tx) => {
      // The row's lock and the grant's record in one round trip, in that order.
      const [before, recorded] = await Promise.all([
        lockProgressState(tx, userId, goalId),
        recordGrant(tx, key, leaseToken, claimedAt),
      ]);
      if (!recorded) return { grantedAt: await findGrantedAt(tx, key) };
      await markClaimed(tx, { userId, goalId, ...periodOf(key.period, reservation.earned), now: claimedAt });
      await options.withinClaim?.(tx, before);
      return undefined;
    });
    if (lost) {
      // Taken over: "already claimed" once the taker recorded its grant, "being claimed" until then
      // (also when its grant failed and it released the claim: a new claim repeats the same key).
      report('rejected');
      throw goalAlreadyClaimed(goalId, formatTimestamp(lost.grantedAt));
    }
    deps.notices.outboxChanged([userId]);
    report('claimed');
    return {
      goalId,
      status: 'claimed',
      reward: rewardJson(reservation.reward),
      claimedAt: formatTimestamp(claimedAt),
    };
  };
}
