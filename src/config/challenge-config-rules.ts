/** The checks that need more than one field at a time: uniqueness, per-type rules and the prerequisite graph. */
import {
  type RawChallengeConfig,
  type RawGoal,
  usesCurrentOriginalFormat,
} from './challenge-config-schema.ts';
import { formatPath, type PathSegment } from './config-error.ts';

export type Fail = (path: readonly PathSegment[], reason: string) => never;

interface GoalLocation {
  readonly path: readonly PathSegment[];
  readonly prerequisites: readonly string[];
}

/** Checks run in document order and stop at the first problem, so the reported problem is deterministic. */
export function checkChallengeRules(config: RawChallengeConfig, fail: Fail): void {
  const currentFormat = usesCurrentOriginalFormat(config);
  const challengePaths = new Map<string, readonly PathSegment[]>();
  const goals = new Map<string, GoalLocation>();
  config.challenges.forEach((challenge, challengeIndex) => {
    const challengePath = ['challenges', challengeIndex];
    const firstUse = challengePaths.get(challenge.challengeId);
    if (firstUse) {
      fail(
        [...challengePath, 'challengeId'],
        `duplicate challenge id "${challenge.challengeId}" (also ${formatPath(firstUse)})`,
      );
    }
    challengePaths.set(challenge.challengeId, challengePath);

    challenge.goals.forEach((goal, goalIndex) => {
      const path = [...challengePath, 'goals', goalIndex];
      const earlier = goals.get(goal.goalId);
      if (earlier) {
        fail(
          [...path, 'goalId'],
          `duplicate goal id "${goal.goalId}" (also ${formatPath(earlier.path)}); goal ids are unique across all challenges`,
        );
      }
      goals.set(goal.goalId, { path, prerequisites: goal.prerequisites ?? [] });
      checkCountingModel(goal, path, currentFormat, fail);
      if (goal.eventSource === 'statistic' && (goal.requirement.statCode ?? '').trim() === '') {
        const reason = 'is required for statistic goals (the stat code whose updates advance this goal)';
        fail(
          [...path, 'requirement', 'statCode'],
          goal.requirement.statCode === undefined ? reason : `must not be empty: ${reason}`,
        );
      }
    });
  });

  for (const [goalId, goal] of goals) checkPrerequisites(goalId, goal, goals, fail);
  const cycle = findCycle(goals);
  if (cycle) {
    const [first, second] = cycle;
    const location = first === undefined ? undefined : goals.get(first);
    const index = location?.prerequisites.indexOf(second ?? '') ?? -1;
    fail(
      [...(location?.path ?? []), 'prerequisites', index],
      `prerequisites form a cycle: ${cycle.join(' -> ')} (each goal requires the next, so none can be claimed)`,
    );
  }
}

/**
 * The keys that choose how a goal counts must not contradict each other. In the original's current
 * format `type`/`daily` are ignored (as the original does), so only `eventCounting` offers our
 * models there, and it is not combined with the original's relative progress or rotation.
 */
function checkCountingModel(
  goal: RawGoal,
  path: readonly PathSegment[],
  currentFormat: boolean,
  fail: Fail,
): void {
  const type = goal.type ?? 'absolute';
  if (!currentFormat && goal.daily === true && type !== 'increment') {
    fail([...path, 'daily'], `"daily": true is only allowed when type is "increment" (type is "${type}")`);
  }
  if (goal.eventCounting !== undefined) {
    if (goal.type !== undefined || goal.daily !== undefined) {
      fail(
        [...path, 'eventCounting'],
        `cannot be combined with "${goal.type !== undefined ? 'type' : 'daily'}": give one of them (eventCounting "each" = type "increment", "oncePerDay" = type "increment" with "daily": true, "dailyCompletion" = type "daily")`,
      );
    }
    if (goal.requirement.progressMode === 'relative') {
      fail(
        [...path, 'eventCounting'],
        'cannot be combined with requirement.progressMode "relative": a relative goal counts the stat\'s value',
      );
    }
    if (goal.rotation?.enabled) {
      fail(
        [...path, 'eventCounting'],
        'cannot be combined with an enabled rotation (rotation needs progressMode "relative")',
      );
    }
  }
  const { rotation } = goal;
  if (rotation?.enabled) {
    if (goal.requirement.progressMode !== 'relative') {
      fail(
        [...path, 'rotation'],
        `an enabled rotation needs requirement.progressMode "relative" (it is "${goal.requirement.progressMode ?? 'absolute'}")`,
      );
    }
    if (rotation.type === undefined) fail([...path, 'rotation', 'type'], 'is required (exactly "global")');
    if (rotation.schedule === undefined) {
      fail([...path, 'rotation', 'schedule'], 'is required (one of "daily", "weekly", "monthly")');
    }
  }
}

function checkPrerequisites(
  goalId: string,
  goal: GoalLocation,
  goals: ReadonlyMap<string, GoalLocation>,
  fail: Fail,
): void {
  const seen = new Set<string>();
  goal.prerequisites.forEach((prerequisite, index) => {
    const path = [...goal.path, 'prerequisites', index];
    if (prerequisite === goalId) fail(path, `goal "${goalId}" cannot be its own prerequisite`);
    if (seen.has(prerequisite)) fail(path, `duplicate prerequisite "${prerequisite}"`);
    if (!goals.has(prerequisite)) {
      fail(path, `prerequisite "${prerequisite}" does not name a goal in any challenge`);
    }
    seen.add(prerequisite);
  });
}

/** The first cycle found by a depth-first walk in document order, closed (`[a, b, a]`); undefined if none. */
function findCycle(goals: ReadonlyMap<string, GoalLocation>): string[] | undefined {
  const finished = new Set<string>();
  const stack: string[] = [];
  const visit = (goalId: string): string[] | undefined => {
    stack.push(goalId);
    for (const next of goals.get(goalId)?.prerequisites ?? []) {
      const onStack = stack.indexOf(next);
      if (onStack >= 0) return [...stack.slice(onStack), next];
      if (!finished.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    finished.add(goalId);
    return undefined;
  };
  for (const goalId of goals.keys()) {
    if (finished.has(goalId)) continue;
    const cycle = visit(goalId);
    if (cycle) return cycle;
  }
  return undefined;
}
