import { describe, expect, test } from 'bun:test';
import {
  applyGoalEvent,
  type EventProgress,
  FRESH_STATE,
  type GoalEvent,
  MAX_PROGRESS,
} from '../../src/domain/progress.ts';
import type { Goal } from '../../src/domain/types.ts';
import { makeGoal } from '../helpers/goals.ts';

const DAY1 = new Date('2026-03-10T10:00:00Z');
const DAY1_LATER = new Date('2026-03-10T23:59:59Z');
const DAY2 = new Date('2026-03-11T00:00:01Z');
const login: GoalEvent = { source: 'login' };
const stat = (value: number, inc = 0): GoalEvent => ({ source: 'statistic', value, inc });

const absoluteStat = makeGoal({ type: 'absolute', targetValue: 10 });
const loginCounter = makeGoal({ type: 'absolute', eventSource: 'login', statCode: '', targetValue: 3 });
const increment = makeGoal({ type: 'increment', targetValue: 3 });
const dailyIncrement = makeGoal({ type: 'increment', daily: true, eventSource: 'login', targetValue: 3 });
const daily = makeGoal({ type: 'daily', eventSource: 'login', targetValue: 1 });

const state = (overrides: Partial<EventProgress>): EventProgress => ({ ...FRESH_STATE, ...overrides });

/** Applies events in order, each at its own time. */
function run(
  goal: Goal,
  start: EventProgress,
  steps: ReadonlyArray<readonly [GoalEvent, Date]>,
): EventProgress {
  return steps.reduce((current, [event, at]) => applyGoalEvent(goal, current, event, at), start);
}

describe('applyGoalEvent', () => {
  const cases: ReadonlyArray<{
    name: string;
    goal: Goal;
    start: EventProgress;
    steps: ReadonlyArray<readonly [GoalEvent, Date]>;
    expected: Partial<EventProgress>;
  }> = [
    {
      name: 'absolute: progress follows the latest stat value',
      goal: absoluteStat,
      start: FRESH_STATE,
      steps: [[stat(4), DAY1]],
      expected: { progress: 4, status: 'in_progress', completedAt: null },
    },
    {
      name: 'absolute: value is truncated to an integer',
      goal: absoluteStat,
      start: FRESH_STATE,
      steps: [[stat(7.9), DAY1]],
      expected: { progress: 7, status: 'in_progress' },
    },
    {
      name: 'absolute: a lower value before completion lowers progress',
      goal: absoluteStat,
      start: state({ progress: 8, status: 'in_progress' }),
      steps: [[stat(5), DAY1]],
      expected: { progress: 5, status: 'in_progress' },
    },
    {
      name: 'absolute: reaching the target completes, progress may exceed it',
      goal: absoluteStat,
      start: state({ progress: 8, status: 'in_progress' }),
      steps: [[stat(15), DAY1]],
      expected: { progress: 15, status: 'completed', completedAt: DAY1 },
    },
    {
      name: 'absolute: negative values are ignored',
      goal: absoluteStat,
      start: state({ progress: 8, status: 'in_progress' }),
      steps: [[stat(-3), DAY1]],
      expected: { progress: 8, status: 'in_progress' },
    },
    {
      name: 'absolute: non-finite values are ignored',
      goal: absoluteStat,
      start: state({ progress: 8, status: 'in_progress' }),
      steps: [[stat(Number.NaN), DAY1]],
      expected: { progress: 8, status: 'in_progress' },
    },
    {
      name: 'absolute: huge values are capped at the integer range',
      goal: absoluteStat,
      start: FRESH_STATE,
      steps: [[stat(1e15), DAY1]],
      expected: { progress: MAX_PROGRESS, status: 'completed' },
    },
    {
      name: 'absolute: completion is sticky when the stat later drops; progress follows the stat',
      goal: absoluteStat,
      start: FRESH_STATE,
      steps: [
        [stat(12), DAY1],
        [stat(2), DAY1_LATER],
      ],
      expected: { progress: 2, status: 'completed', completedAt: DAY1 },
    },
    {
      name: 'absolute login goal counts logins',
      goal: loginCounter,
      start: FRESH_STATE,
      steps: [
        [login, DAY1],
        [login, DAY1],
      ],
      expected: { progress: 2, status: 'in_progress' },
    },
    {
      name: 'absolute login goal completes at the target',
      goal: loginCounter,
      start: FRESH_STATE,
      steps: [
        [login, DAY1],
        [login, DAY1],
        [login, DAY1_LATER],
      ],
      expected: { progress: 3, status: 'completed', completedAt: DAY1_LATER },
    },
    {
      name: 'increment: +1 per matching event whatever the value',
      goal: increment,
      start: FRESH_STATE,
      steps: [
        [stat(100), DAY1],
        [stat(0), DAY1],
      ],
      expected: { progress: 2, status: 'in_progress' },
    },
    {
      name: 'increment: negative and missing values count too (only absolute goals ignore them)',
      goal: increment,
      start: FRESH_STATE,
      steps: [
        [stat(-5), DAY1],
        [stat(Number.NaN), DAY1],
      ],
      expected: { progress: 2, status: 'in_progress' },
    },
    {
      name: 'daily (statistic): a negative value completes it like any other',
      goal: makeGoal({ type: 'daily', targetValue: 1 }),
      start: FRESH_STATE,
      steps: [[stat(-3), DAY1]],
      expected: { progress: 1, status: 'completed', progressDay: '2026-03-10' },
    },
    {
      name: 'increment: completes at the target and stops',
      goal: increment,
      start: FRESH_STATE,
      steps: [
        [stat(1), DAY1],
        [stat(1), DAY1],
        [stat(1), DAY1],
        [stat(1), DAY1_LATER],
      ],
      expected: { progress: 3, status: 'completed', completedAt: DAY1 },
    },
    {
      name: 'increment daily: at most once per UTC day',
      goal: dailyIncrement,
      start: FRESH_STATE,
      steps: [
        [login, DAY1],
        [login, DAY1_LATER],
        [login, DAY2],
      ],
      expected: { progress: 2, status: 'in_progress', progressDay: '2026-03-11' },
    },
    {
      name: 'increment daily: the first event on the assignment day counts',
      goal: dailyIncrement,
      start: FRESH_STATE,
      steps: [[login, DAY1]],
      expected: { progress: 1, progressDay: '2026-03-10' },
    },
    {
      name: 'daily: first event of the day completes with progress 1',
      goal: daily,
      start: FRESH_STATE,
      steps: [[login, DAY1]],
      expected: { progress: 1, status: 'completed', completedAt: DAY1, progressDay: '2026-03-10' },
    },
    {
      name: 'daily: more events the same day change nothing',
      goal: daily,
      start: FRESH_STATE,
      steps: [
        [login, DAY1],
        [login, DAY1_LATER],
      ],
      expected: { progress: 1, status: 'completed', completedAt: DAY1 },
    },
    {
      name: 'daily: claimed today stays claimed',
      goal: daily,
      start: state({
        progress: 1,
        status: 'claimed',
        completedAt: DAY1,
        claimedAt: DAY1,
        progressDay: '2026-03-10',
      }),
      steps: [[login, DAY1_LATER]],
      expected: { status: 'claimed', claimedAt: DAY1 },
    },
    {
      name: 'daily: claimed yesterday reopens and completes again today',
      goal: daily,
      start: state({
        progress: 1,
        status: 'claimed',
        completedAt: DAY1,
        claimedAt: DAY1,
        progressDay: '2026-03-10',
      }),
      steps: [[login, DAY2]],
      expected: {
        progress: 1,
        status: 'completed',
        completedAt: DAY2,
        claimedAt: null,
        progressDay: '2026-03-11',
      },
    },
    {
      name: 'claimed goals never change from events',
      goal: increment,
      start: state({ progress: 3, status: 'claimed', completedAt: DAY1, claimedAt: DAY1 }),
      steps: [[stat(1), DAY2]],
      expected: { progress: 3, status: 'claimed', claimedAt: DAY1 },
    },
  ];

  test.each(cases)('$name', ({ goal, start, steps, expected }) => {
    expect(run(goal, start, steps)).toMatchObject(expected);
  });

  test('an event that changes nothing returns the same state object', () => {
    const claimed = state({ progress: 12, status: 'claimed', completedAt: DAY1, claimedAt: DAY1 });
    expect(applyGoalEvent(absoluteStat, claimed, stat(20), DAY2)).toBe(claimed);
    const same = state({ progress: 4, status: 'in_progress' });
    expect(applyGoalEvent(absoluteStat, same, stat(4), DAY2)).toBe(same);
  });
});
