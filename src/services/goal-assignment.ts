import type { ChangeNotices } from '../db/change-notices.ts';
import type { Db } from '../db/client.ts';
import { getUserProgress, insertAssignments, setGoalActive } from '../db/progress-rows.ts';
import { getVersionedUserProgress } from '../db/rotation-rows.ts';
import { type CurrentCatalog, findGoalInChallenge } from '../domain/catalog.ts';
import { challengeNotFound, goalNotFound } from '../domain/errors.ts';
import { viewProgress } from '../domain/progress-view.ts';
import { rewardJson } from '../domain/reward-json.ts';
import { nextPeriodStart, periodKey } from '../domain/rotation.ts';
import { formatTimestamp } from '../domain/time.ts';
import type { Goal, ProgressRow } from '../domain/types.ts';
import { requirementJson } from './goal-json.ts';
import { catchUpRotations } from './rotation-catch-up.ts';

export interface InitializeResponse {
  readonly assignedGoals: readonly ReturnType<typeof assignedGoalJson>[];
  readonly newAssignments: number;
  readonly totalActive: number;
}

export interface SetActiveResponse {
  readonly challengeId: string;
  readonly goalId: string;
  readonly isActive: boolean;
  readonly assignedAt: string;
  readonly message: string;
}

export interface GoalAssignment {
  /**
   * Assigns the default goals the player has no row for (also defaults added to the configuration
   * since the last call; a default the player deactivated keeps its row and so stays deactivated).
   * A returning player with nothing new costs one primary-key range read; rows of rotating goals
   * whose period changed are written as rolled over (services/rotation-catch-up.ts).
   */
  initialize(userId: string): Promise<InitializeResponse>;
  setActive(
    userId: string,
    challengeId: string,
    goalId: string,
    isActive: boolean,
  ): Promise<SetActiveResponse>;
}

export function createGoalAssignment(deps: {
  db: Db;
  /** Announces the players whose goals a call changed, after the change committed. */
  notices: ChangeNotices;
  catalog: CurrentCatalog;
  namespace: string;
  clock: () => Date;
}): GoalAssignment {
  const { db, notices, namespace, clock } = deps;
  return {
    async initialize(userId) {
      const catalog = deps.catalog();
      const now = clock();
      let rows = await catchUpRotations(
        db,
        notices,
        catalog,
        userId,
        await getVersionedUserProgress(db, userId),
        now,
      );
      const owned = new Set(rows.map((row) => row.goalId));
      const missing = catalog.defaultGoals.filter((goal) => !owned.has(goal.goalId));
      let created: string[] = [];
      if (missing.length > 0) {
        created = await insertAssignments(
          db,
          userId,
          namespace,
          missing.map((goal) => ({
            goalId: goal.goalId,
            challengeId: goal.challengeId,
            ...startingPeriod(goal, now),
          })),
          now,
        );
        if (created.length > 0) notices.outboxChanged([userId]);
        // A concurrent call created some of them: read them back rather than guess their state.
        rows =
          created.length === missing.length
            ? [...rows, ...missing.map((goal) => newRow(goal, now))]
            : await getUserProgress(db, userId);
      }
      const byGoal = new Map(rows.map((row) => [row.goalId, row]));
      const assignedGoals: ReturnType<typeof assignedGoalJson>[] = [];
      for (const challenge of catalog.challenges) {
        for (const goal of challenge.goals) {
          const row = byGoal.get(goal.goalId);
          if (row?.isActive) assignedGoals.push(assignedGoalJson(goal, row, now));
        }
      }
      return { assignedGoals, newAssignments: created.length, totalActive: assignedGoals.length };
    },

    async setActive(userId, challengeId, goalId, isActive) {
      const catalog = deps.catalog();
      if (!catalog.challengeById.has(challengeId)) throw challengeNotFound(challengeId);
      const goal = findGoalInChallenge(catalog, challengeId, goalId);
      if (!goal) throw goalNotFound(goalId, challengeId);
      const state = await setGoalActive(db, {
        userId,
        namespace,
        goalId,
        challengeId,
        isActive,
        now: clock(),
      });
      notices.outboxChanged([userId]);
      return {
        challengeId,
        goalId,
        isActive: state.isActive,
        assignedAt: formatTimestamp(state.assignedAt),
        message: isActive ? 'Goal activated successfully' : 'Goal deactivated successfully',
      };
    },
  };
}

/** A rotating goal's new row starts in the current period, expiring at its end (the original's `expires_at`). */
function startingPeriod(goal: Goal, now: Date): { expiresAt: Date | null; periodStart: string | null } {
  if (!goal.rotation) return { expiresAt: null, periodStart: null };
  return {
    expiresAt: nextPeriodStart(goal.rotation.schedule, now),
    periodStart: periodKey(goal.rotation.schedule, now),
  };
}

function newRow(goal: Goal, now: Date): ProgressRow {
  return {
    goalId: goal.goalId,
    progress: 0,
    status: 'not_started',
    isActive: true,
    assignedAt: now,
    completedAt: null,
    claimedAt: null,
    progressDay: null,
    baselineValue: null,
    ...startingPeriod(goal, now),
  };
}

function assignedGoalJson(goal: Goal, row: ProgressRow, now: Date) {
  const view = viewProgress(goal, row, now);
  return {
    challengeId: goal.challengeId,
    goalId: goal.goalId,
    name: goal.name,
    description: goal.description,
    isActive: view.isActive,
    assignedAt: formatTimestamp(row.assignedAt),
    expiresAt: formatTimestamp(view.expiresAt),
    progress: view.progress,
    target: goal.requirement.targetValue,
    status: view.status,
    requirement: requirementJson(goal.requirement),
    reward: rewardJson(goal.reward),
  };
}
