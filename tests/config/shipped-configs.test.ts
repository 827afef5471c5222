import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { loadChallengeConfig } from '../../src/config/challenge-config.ts';
import type { Goal } from '../../src/domain/types.ts';

const configPath = (name: string) => join(import.meta.dir, '../../config', name);

/** Length of the longest prerequisite chain ending at `goal`, counting the goal itself. */
function chainLength(goal: Goal, byId: ReadonlyMap<string, Goal>): number {
  const lengths = goal.prerequisites.map((id) => {
    const prerequisite = byId.get(id);
    return prerequisite ? chainLength(prerequisite, byId) : 0;
  });
  return 1 + Math.max(0, ...lengths);
}

describe('config/challenges.json (the shipped sample)', () => {
  const challenges = loadChallengeConfig(configPath('challenges.json'));
  const goals = challenges.flatMap((challenge) => challenge.goals);
  const byId = new Map(goals.map((goal) => [goal.goalId, goal]));

  test('has at least 3 challenges and 15 goals', () => {
    expect(challenges.length).toBeGreaterThanOrEqual(3);
    expect(goals.length).toBeGreaterThanOrEqual(15);
  });

  test.each([
    ['a login goal', (goal: Goal) => goal.eventSource === 'login'],
    ['a statistic goal', (goal: Goal) => goal.eventSource === 'statistic'],
    ['an absolute goal', (goal: Goal) => goal.type === 'absolute'],
    ['an increment goal', (goal: Goal) => goal.type === 'increment' && !goal.daily],
    ['an increment goal counted once a day', (goal: Goal) => goal.type === 'increment' && goal.daily],
    ['a daily goal', (goal: Goal) => goal.type === 'daily'],
    ['an ITEM reward', (goal: Goal) => goal.reward.type === 'ITEM'],
    ['a WALLET reward', (goal: Goal) => goal.reward.type === 'WALLET'],
    ['a default login goal', (goal: Goal) => goal.defaultAssigned && goal.eventSource === 'login'],
    ['a default statistic goal', (goal: Goal) => goal.defaultAssigned && goal.eventSource === 'statistic'],
    ['a goal that is not assigned by default', (goal: Goal) => !goal.defaultAssigned],
  ])('has %s', (_label, predicate) => {
    expect(goals.some(predicate)).toBe(true);
  });

  test('has a prerequisite chain of at least 3 goals', () => {
    expect(Math.max(...goals.map((goal) => chainLength(goal, byId)))).toBeGreaterThanOrEqual(3);
  });

  test.each(['enemy_kills', 'matches_played', 'player_level', 'tutorial_completed'])(
    'uses stat code %s',
    (statCode) => {
      expect(goals.some((goal) => goal.requirement.statCode === statCode)).toBe(true);
    },
  );

  test('ids are kebab-case', () => {
    const ids = [
      ...challenges.map((challenge) => challenge.challengeId),
      ...goals.map((goal) => goal.goalId),
    ];
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });
});

describe('config/challenges.test.json (the fixture other tests rely on)', () => {
  const challenges = loadChallengeConfig(configPath('challenges.test.json'));
  const goals = challenges.flatMap((challenge) => challenge.goals);
  const byId = new Map(goals.map((goal) => [goal.goalId, goal]));

  test('has 2 to 3 challenges and about 8 goals', () => {
    expect(challenges.length).toBeGreaterThanOrEqual(2);
    expect(challenges.length).toBeLessThanOrEqual(3);
    expect(goals).toHaveLength(8);
  });

  // [goalId, eventSource, type, daily, statCode, targetValue, defaultAssigned, prerequisites]
  test.each([
    ['defeat-10-enemies', 'statistic', 'absolute', false, 'enemy_kills', 10, true, []],
    ['login-3-times', 'login', 'absolute', false, '', 3, true, []],
    ['play-5-matches', 'statistic', 'increment', false, 'matches_played', 5, false, []],
    ['login-3-days', 'login', 'increment', true, '', 3, false, []],
    ['daily-login', 'login', 'daily', false, '', 1, false, []],
    ['tutorial', 'statistic', 'absolute', false, 'tutorial_completed', 1, true, []],
    ['reach-level-5', 'statistic', 'absolute', false, 'player_level', 5, false, ['tutorial']],
    ['reach-level-10', 'statistic', 'absolute', false, 'player_level', 10, false, ['reach-level-5']],
  ] as const)(
    '%s: %s %s',
    (goalId, eventSource, type, daily, statCode, targetValue, defaultAssigned, prerequisites) => {
      const goal = byId.get(goalId);
      expect(goal).toMatchObject({
        goalId,
        eventSource,
        type,
        daily,
        defaultAssigned,
        requirement: { statCode, operator: '>=', targetValue },
        prerequisites,
      });
    },
  );

  test('has ITEM and WALLET rewards', () => {
    expect(new Set(goals.map((goal) => goal.reward.type))).toEqual(new Set(['ITEM', 'WALLET']));
  });
});

describe("config/challenges.rotation.json (the rotation sample, in the original's current format)", () => {
  const warnings: string[] = [];
  const goals = loadChallengeConfig(configPath('challenges.rotation.json'), {
    onWarning: (w) => warnings.push(w),
  }).flatMap((challenge) => challenge.goals);

  test('loads with no warning', () => {
    expect(warnings).toEqual([]);
  });

  test.each([
    ['a daily rotation', (goal: Goal) => goal.rotation?.schedule === 'daily'],
    ['a weekly rotation', (goal: Goal) => goal.rotation?.schedule === 'weekly'],
    ['a monthly rotation', (goal: Goal) => goal.rotation?.schedule === 'monthly'],
    ['a goal that carries progress over', (goal: Goal) => goal.rotation?.resetProgress === false],
    ['a goal claimable once ever', (goal: Goal) => goal.rotation?.allowReselection === false],
    [
      'a relative login goal',
      (goal: Goal) => goal.progressMode === 'relative' && goal.eventSource === 'login',
    ],
    [
      'an absolute goal that never rotates',
      (goal: Goal) => goal.progressMode === 'absolute' && !goal.rotation,
    ],
    ['eventCounting oncePerDay', (goal: Goal) => goal.type === 'increment' && goal.daily],
    ['eventCounting each', (goal: Goal) => goal.type === 'increment' && !goal.daily],
  ])('has %s', (_label, predicate) => {
    expect(goals.some(predicate)).toBe(true);
  });
});
