import { describe, expect, test } from 'bun:test';
import { decideClaim } from '../../src/domain/claim-rules.ts';
import { AppError } from '../../src/domain/errors.ts';
import { unmetPrerequisites, viewProgress } from '../../src/domain/progress-view.ts';
import type { GoalStatus } from '../../src/domain/types.ts';
import { makeGoal, makeRow } from '../helpers/goals.ts';

const NOW = new Date('2026-03-11T08:30:00Z');
const YESTERDAY = new Date('2026-03-10T21:00:00Z');

describe('viewProgress', () => {
  test('a goal with no row is unassigned', () => {
    expect(viewProgress(makeGoal(), undefined, NOW)).toMatchObject({
      progress: 0,
      status: 'not_started',
      isActive: false,
      completedAt: null,
      claimedAt: null,
      expiresAt: null,
      period: 'once',
    });
  });

  test('stored values are shown as they are for non-daily goals', () => {
    const row = makeRow({ progress: 12, status: 'completed', completedAt: YESTERDAY });
    expect(viewProgress(makeGoal(), row, NOW)).toMatchObject({
      progress: 12,
      status: 'completed',
      isActive: true,
    });
  });

  const dailyGoal = makeGoal({ type: 'daily', eventSource: 'login', targetValue: 1 });
  test.each([
    {
      name: 'completed yesterday → open today',
      day: '2026-03-10',
      status: 'completed',
      expected: 'not_started',
    },
    { name: 'claimed yesterday → open today', day: '2026-03-10', status: 'claimed', expected: 'not_started' },
    { name: 'completed today → completed', day: '2026-03-11', status: 'completed', expected: 'completed' },
    { name: 'claimed today → claimed', day: '2026-03-11', status: 'claimed', expected: 'claimed' },
  ] as const)('daily goal: $name', ({ day, status, expected }) => {
    const row = makeRow({ progress: 1, status, progressDay: day, completedAt: YESTERDAY, claimedAt: null });
    const view = viewProgress(dailyGoal, row, NOW);
    expect(view.status).toBe(expected);
    expect(view.progress).toBe(expected === 'not_started' ? 0 : 1);
    expect(view.period).toBe('2026-03-11');
    expect(view.expiresAt?.toISOString()).toBe('2026-03-12T00:00:00.000Z');
  });
});

describe('unmetPrerequisites', () => {
  const goal = makeGoal({ prerequisites: ['a', 'b', 'c', 'd'] });
  const statuses: Record<string, GoalStatus> = {
    a: 'completed',
    b: 'claimed',
    c: 'in_progress',
    d: 'not_started',
  };
  test('only completed and claimed prerequisites count as met', () => {
    expect(unmetPrerequisites(goal, (id) => statuses[id] ?? 'not_started')).toEqual(['c', 'd']);
  });
});

describe('decideClaim', () => {
  const goal = makeGoal({ prerequisites: ['pre'] });
  const done = (): GoalStatus => 'completed';
  const cases = [
    { name: 'no row', row: undefined, statusOf: done, code: 'GOAL_NOT_ACTIVE' },
    {
      name: 'inactive row',
      row: makeRow({ isActive: false, status: 'completed' }),
      statusOf: done,
      code: 'GOAL_NOT_ACTIVE',
    },
    {
      name: 'claimed',
      row: makeRow({ status: 'claimed', completedAt: YESTERDAY, claimedAt: YESTERDAY }),
      statusOf: done,
      code: 'GOAL_ALREADY_CLAIMED',
    },
    {
      name: 'in progress',
      row: makeRow({ status: 'in_progress', progress: 3 }),
      statusOf: done,
      code: 'GOAL_NOT_COMPLETED',
    },
    {
      name: 'prerequisite open',
      row: makeRow({ status: 'completed', progress: 10, completedAt: YESTERDAY }),
      statusOf: (): GoalStatus => 'in_progress',
      code: 'PREREQUISITES_NOT_MET',
    },
    {
      name: 'inactive wins over claimed (rules apply in order)',
      row: makeRow({ isActive: false, status: 'claimed', completedAt: YESTERDAY, claimedAt: YESTERDAY }),
      statusOf: done,
      code: 'GOAL_NOT_ACTIVE',
    },
  ] as const;

  test.each(cases)('$name → $code', ({ row, statusOf, code }) => {
    const view = viewProgress(goal, row, NOW);
    let thrown: unknown;
    try {
      decideClaim(goal, view, row !== undefined, statusOf);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).code).toBe(code);
    expect((thrown as AppError).message).toContain(goal.goalId);
  });

  test('a completed goal with done prerequisites may be claimed once per period', () => {
    const row = makeRow({ status: 'completed', progress: 10, completedAt: YESTERDAY });
    expect(decideClaim(goal, viewProgress(goal, row, NOW), true, done)).toEqual({ period: 'once' });
    const daily = makeGoal({ type: 'daily', eventSource: 'login', targetValue: 1 });
    const dailyRow = makeRow({
      status: 'completed',
      progress: 1,
      completedAt: NOW,
      progressDay: '2026-03-11',
    });
    expect(decideClaim(daily, viewProgress(daily, dailyRow, NOW), true, done)).toEqual({
      period: '2026-03-11',
    });
  });

  test('a daily goal claimed yesterday and not yet completed today is not claimable', () => {
    const daily = makeGoal({ type: 'daily', eventSource: 'login', targetValue: 1 });
    const row = makeRow({
      status: 'claimed',
      progress: 1,
      completedAt: YESTERDAY,
      claimedAt: YESTERDAY,
      progressDay: '2026-03-10',
    });
    expect(() => decideClaim(daily, viewProgress(daily, row, NOW), true, done)).toThrow(/not completed/);
  });
});
