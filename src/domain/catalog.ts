import type { Challenge, Goal } from './types.ts';

/**
 * The loaded configuration indexed for the lookups every request and event needs. A catalog never
 * changes; live configuration replaces it with a new one (see `CurrentCatalog`).
 */
export interface Catalog {
  /** In configuration order: list responses keep this order. */
  readonly challenges: readonly Challenge[];
  readonly challengeById: ReadonlyMap<string, Challenge>;
  readonly goalById: ReadonlyMap<string, Goal>;
  /** Every goal in configuration order: a goal's position names it compactly within one configuration. */
  readonly goals: readonly Goal[];
  readonly goalPosition: ReadonlyMap<string, number>;
  /** Goals `/initialize` assigns, in configuration order. */
  readonly defaultGoals: readonly Goal[];
  /** Goals every login event advances. */
  readonly loginGoals: readonly Goal[];
  /** Statistic goals by stat code. */
  readonly statisticGoalsByStatCode: ReadonlyMap<string, readonly Goal[]>;
}

export function createCatalog(challenges: readonly Challenge[]): Catalog {
  const challengeById = new Map<string, Challenge>();
  const goalById = new Map<string, Goal>();
  const statisticGoalsByStatCode = new Map<string, Goal[]>();
  const defaultGoals: Goal[] = [];
  const loginGoals: Goal[] = [];
  const goals: Goal[] = [];
  const goalPosition = new Map<string, number>();
  for (const challenge of challenges) {
    challengeById.set(challenge.challengeId, challenge);
    for (const goal of challenge.goals) {
      goalById.set(goal.goalId, goal);
      goalPosition.set(goal.goalId, goals.length);
      goals.push(goal);
      if (goal.defaultAssigned) defaultGoals.push(goal);
      if (goal.eventSource === 'login') {
        loginGoals.push(goal);
      } else {
        const sameStat = statisticGoalsByStatCode.get(goal.requirement.statCode);
        if (sameStat) sameStat.push(goal);
        else statisticGoalsByStatCode.set(goal.requirement.statCode, [goal]);
      }
    }
  }
  return {
    challenges,
    challengeById,
    goalById,
    goals,
    goalPosition,
    defaultGoals,
    loginGoals,
    statisticGoalsByStatCode,
  };
}

/**
 * The catalog in force now. Applying a new configuration swaps it, so a request or an event flush
 * reads it once and uses that one catalog throughout: it never sees half the old rules and half the
 * new.
 */
export type CurrentCatalog = () => Catalog;

/**
 * `derive` computed once per catalog: values built from the rules (rendered JSON, goal lists) are
 * reused for as long as that catalog is in force, and rebuilt after a configuration change.
 */
export function perCatalog<T>(derive: (catalog: Catalog) => T): (catalog: Catalog) => T {
  let last: { catalog: Catalog; value: T } | undefined;
  return (catalog) => {
    if (last?.catalog !== catalog) last = { catalog, value: derive(catalog) };
    return last.value;
  };
}

/** The goal, only when it belongs to the named challenge (a goal id under the wrong challenge is unknown). */
export function findGoalInChallenge(catalog: Catalog, challengeId: string, goalId: string): Goal | undefined {
  const goal = catalog.goalById.get(goalId);
  return goal?.challengeId === challengeId ? goal : undefined;
}
