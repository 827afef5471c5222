/**
 * Batch and random goal selection. Every id is checked before anything is written, and each
 * selection (the read of what is active, the random pick, the writes, the read-back) is one
 * transaction, so a failed request changes nothing and concurrent ones take turns.
 */
import type { ChangeNotices } from '../db/change-notices.ts';
import type { Pool } from '../db/client.ts';
import {
  activateGoals,
  deactivateGoals,
  getProgressRows,
  lockProgressRows,
  lockSelection,
} from '../db/goal-selection.ts';
import { type Catalog, type CurrentCatalog, findGoalInChallenge } from '../domain/catalog.ts';
import { challengeNotFound, goalNotFound, insufficientGoals, invalidRequest } from '../domain/errors.ts';
import { pickRandom, planSelection, randomPool, uniqueIds } from '../domain/goal-selection.ts';
import { type ProgressView, viewProgress, viewRows } from '../domain/progress-view.ts';
import { rewardJson } from '../domain/reward-json.ts';
import { formatTimestamp } from '../domain/time.ts';
import type { Challenge, Goal, ProgressRow } from '../domain/types.ts';
import { requirementJson } from './goal-json.ts';

export interface GoalSelectionResponse {
  readonly selectedGoals: readonly ReturnType<typeof selectedGoalJson>[];
  readonly challengeId: string;
  /** Active goals of this challenge after the call. */
  readonly totalActiveGoals: number;
  /** Goals this call deactivated. */
  readonly replacedGoals: readonly string[];
}

export interface BatchSelectRequest {
  readonly goalIds: readonly string[];
  readonly replaceExisting: boolean;
}

export interface RandomSelectRequest {
  readonly count: number;
  readonly replaceExisting: boolean;
  readonly excludeActive: boolean;
}

export interface GoalSelection {
  /** Activates the listed goals (repeats ignored); with `replaceExisting`, deactivates the others. */
  batchSelect(
    userId: string,
    challengeId: string,
    request: BatchSelectRequest,
  ): Promise<GoalSelectionResponse>;
  /**
   * Activates up to `count` goals drawn at random from the pool (`domain/goal-selection.ts`);
   * fewer when the pool is smaller, INSUFFICIENT_GOALS when it is empty.
   */
  randomSelect(
    userId: string,
    challengeId: string,
    request: RandomSelectRequest,
  ): Promise<GoalSelectionResponse>;
}

export function createGoalSelection(deps: {
  pool: Pool;
  /** Announces the player whose goals a selection changed, after it committed. */
  notices: ChangeNotices;
  catalog: CurrentCatalog;
  namespace: string;
  clock: () => Date;
}): GoalSelection {
  const { pool, notices, namespace, clock } = deps;

  const challengeOf = (catalog: Catalog, challengeId: string): Challenge => {
    const challenge = catalog.challengeById.get(challengeId);
    if (!challenge) throw challengeNotFound(challengeId);
    return challenge;
  };

  /**
   * Runs a selection in one transaction: `choose` sees the player's views of the challenge's
   * goals (and of prerequisites elsewhere) as locked, and returns the goals to select.
   */
  const select = async (
    catalog: Catalog,
    userId: string,
    challenge: Challenge,
    replaceExisting: boolean,
    choose: (views: ReadonlyMap<string, ProgressView>) => readonly Goal[],
  ): Promise<GoalSelectionResponse> => {
    const now = clock();
    const goalIds = challenge.goals.map((goal) => goal.goalId);
    const response = await pool.begin(async (tx) => {
      await lockSelection(tx, userId, challenge.challengeId);
      const locked = await lockProgressRows(tx, userId, goalIds);
      const outside = outsidePrerequisites(challenge);
      const views = viewRows(catalog, [...locked, ...(await getProgressRows(tx, userId, outside))], now);
      const chosen = choose(views);
      const selected = chosen.map((goal) => goal.goalId);
      const plan = planSelection(challenge.goals, views, selected, replaceExisting);
      await deactivateGoals(tx, userId, plan.deactivate, now);
      await activateGoals(tx, {
        userId,
        namespace,
        challengeId: challenge.challengeId,
        goalIds: plan.activate,
        now,
      });
      const after = new Map((await getProgressRows(tx, userId, goalIds)).map((row) => [row.goalId, row]));
      const totalActiveGoals = challenge.goals.filter((goal) => after.get(goal.goalId)?.isActive).length;
      return {
        selectedGoals: chosen.map((goal) => selectedGoalJson(goal, after.get(goal.goalId), now)),
        challengeId: challenge.challengeId,
        totalActiveGoals,
        replacedGoals: plan.deactivate,
      };
    });
    notices.outboxChanged([userId]);
    return response;
  };

  return {
    async batchSelect(userId, challengeId, request) {
      if (request.goalIds.length === 0) throw invalidRequest('goal_ids cannot be empty');
      const catalog = deps.catalog();
      const challenge = challengeOf(catalog, challengeId);
      const goals = uniqueIds(request.goalIds).map((goalId) => {
        const goal = findGoalInChallenge(catalog, challengeId, goalId);
        if (!goal) throw goalNotFound(goalId, challengeId);
        return goal;
      });
      return select(catalog, userId, challenge, request.replaceExisting, () => goals);
    },

    async randomSelect(userId, challengeId, request) {
      const { count, replaceExisting, excludeActive } = request;
      if (!Number.isInteger(count) || count <= 0) throw invalidRequest('count must be greater than 0');
      const catalog = deps.catalog();
      const challenge = challengeOf(catalog, challengeId);
      return select(catalog, userId, challenge, replaceExisting, (views) => {
        const candidates = randomPool(challenge.goals, views, { excludeActive, replaceExisting });
        if (candidates.length === 0) throw insufficientGoals(0, count);
        return pickRandom(candidates, count);
      });
    },
  };
}

/** Prerequisites of the challenge's goals that belong to other challenges. */
function outsidePrerequisites(challenge: Challenge): string[] {
  const own = new Set(challenge.goals.map((goal) => goal.goalId));
  return uniqueIds(challenge.goals.flatMap((goal) => goal.prerequisites)).filter(
    (goalId) => !own.has(goalId),
  );
}

function selectedGoalJson(goal: Goal, row: ProgressRow | undefined, now: Date) {
  const view = viewProgress(goal, row, now);
  return {
    goalId: goal.goalId,
    name: goal.name,
    description: goal.description,
    requirement: requirementJson(goal.requirement),
    reward: rewardJson(goal.reward),
    status: view.status,
    progress: view.progress,
    target: goal.requirement.targetValue,
    isActive: view.isActive,
    assignedAt: formatTimestamp(row?.assignedAt),
    expiresAt: formatTimestamp(view.expiresAt),
  };
}
