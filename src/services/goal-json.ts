/**
 * Wire format of goals and challenges (camelCase, `""` for missing timestamps, one key each).
 * The static part of every goal is serialised once per catalog: list responses are the hottest
 * path and most of each goal never changes, so only progress fields are rendered per request.
 */
import type { Catalog } from '../domain/catalog.ts';
import { isDone, type ProgressView, viewProgress } from '../domain/progress-view.ts';
import { formatTimestamp, secondsUntil } from '../domain/time.ts';
import type { Challenge, Goal, GoalStatus, ProgressRow, Requirement, Reward } from '../domain/types.ts';

export const requirementJson = (requirement: Requirement) => ({
  statCode: requirement.statCode,
  operator: requirement.operator,
  targetValue: requirement.targetValue,
});

export const rewardJson = (reward: Reward) => ({
  type: reward.type,
  rewardId: reward.rewardId,
  quantity: reward.quantity,
});

export interface ChallengeRenderer {
  /** `{"challenges":[…]}` for all challenges in configuration order. */
  renderList(rows: readonly ProgressRow[], activeOnly: boolean, now: Date): string;
  /** One challenge object; undefined when the id is unknown. */
  renderOne(
    challengeId: string,
    rows: readonly ProgressRow[],
    activeOnly: boolean,
    now: Date,
  ): string | undefined;
}

export function createChallengeRenderer(catalog: Catalog): ChallengeRenderer {
  const goalPrefix = new Map<string, string>();
  const challengePrefix = new Map<string, string>();
  for (const challenge of catalog.challenges) {
    const head = JSON.stringify({
      challengeId: challenge.challengeId,
      name: challenge.name,
      description: challenge.description,
    });
    challengePrefix.set(challenge.challengeId, `${head.slice(0, -1)},"goals":[`);
    for (const goal of challenge.goals) {
      const fixed = JSON.stringify({
        goalId: goal.goalId,
        name: goal.name,
        description: goal.description,
        requirement: requirementJson(goal.requirement),
        reward: rewardJson(goal.reward),
        prerequisites: goal.prerequisites,
      });
      goalPrefix.set(goal.goalId, `${fixed.slice(0, -1)},`);
    }
  }

  const renderChallenge = (
    challenge: Challenge,
    views: ReadonlyMap<string, ProgressView>,
    statusOf: (goalId: string) => GoalStatus,
    activeOnly: boolean,
    now: Date,
  ): string => {
    const parts: string[] = [];
    for (const goal of challenge.goals) {
      const view = views.get(goal.goalId) ?? viewProgress(goal, undefined, now);
      if (activeOnly && !view.isActive) continue;
      parts.push(renderGoal(goal, view, statusOf, now));
    }
    return `${challengePrefix.get(challenge.challengeId)}${parts.join(',')}]}`;
  };

  const renderGoal = (
    goal: Goal,
    view: ProgressView,
    statusOf: (goalId: string) => GoalStatus,
    now: Date,
  ) => {
    const locked = goal.prerequisites.some((goalId) => !isDone(statusOf(goalId)));
    return (
      `${goalPrefix.get(goal.goalId)}"progress":${view.progress},"status":"${view.status}","locked":${locked},` +
      `"completedAt":"${formatTimestamp(view.completedAt)}","claimedAt":"${formatTimestamp(view.claimedAt)}",` +
      `"isActive":${view.isActive},"expiresAt":"${formatTimestamp(view.expiresAt)}",` +
      `"expiresInSeconds":${secondsUntil(view.expiresAt, now)}}`
    );
  };

  const viewsOf = (rows: readonly ProgressRow[], now: Date) => {
    const views = new Map<string, ProgressView>();
    for (const row of rows) {
      const goal = catalog.goalById.get(row.goalId);
      if (goal) views.set(goal.goalId, viewProgress(goal, row, now));
    }
    const statusOf = (goalId: string): GoalStatus => views.get(goalId)?.status ?? 'not_started';
    return { views, statusOf };
  };

  return {
    renderList(rows, activeOnly, now) {
      const { views, statusOf } = viewsOf(rows, now);
      const body = catalog.challenges.map((challenge) =>
        renderChallenge(challenge, views, statusOf, activeOnly, now),
      );
      return `{"challenges":[${body.join(',')}]}`;
    },
    renderOne(challengeId, rows, activeOnly, now) {
      const challenge = catalog.challengeById.get(challengeId);
      if (!challenge) return undefined;
      const { views, statusOf } = viewsOf(rows, now);
      return renderChallenge(challenge, views, statusOf, activeOnly, now);
    },
  };
}
