/**
 * `relative` progress and rotation, branch by branch: what one event does to a stored row, and
 * what a new period does to it. Time is a parameter; the periods are UTC days here (a daily
 * rotation), 2026-03-10 (D1) and 2026-03-11 (D2).
 */
import { describe, expect, test } from 'bun:test';
import {
  applyGoalEvent,
  type EventProgress,
  FRESH_STATE,
  type GoalEvent,
} from '../../src/domain/progress.ts';
import { rollover } from '../../src/domain/rollover.ts';
import type { Goal, Rotation } from '../../src/domain/types.ts';
import { makeGoal } from '../helpers/goals.ts';

const D1 = new Date('2026-03-10T09:05:00Z');
const D1_LATER = new Date('2026-03-10T10:00:00Z');
const D2 = new Date('2026-03-11T08:30:00Z');
const D2_LATER = new Date('2026-03-11T09:00:00Z');
const stat = (value: number, inc: number): GoalEvent => ({ source: 'statistic', value, inc });
const login: GoalEvent = { source: 'login' };
const rotation = (overrides: Partial<Rotation> = {}): Rotation => ({
  schedule: 'daily',
  resetProgress: true,
  allowReselection: true,
  ...overrides,
});
const relative = (target: number, rotates: Rotation | null = null): Goal =>
  makeGoal({ progressMode: 'relative', targetValue: target, rotation: rotates, statCode: 'kills' });
const row = (overrides: Partial<EventProgress>): EventProgress => ({ ...FRESH_STATE, ...overrides });

describe('relative progress', () => {
  const goal = relative(10);
  const cases: ReadonlyArray<{
    name: string;
    start: EventProgress;
    event: GoalEvent;
    expected: Partial<EventProgress>;
  }> = [
    {
      name: 'first event: the baseline is value − inc, so the first event counts its own increment',
      start: FRESH_STATE,
      event: stat(50, 1),
      expected: { progress: 50, baselineValue: 49, status: 'in_progress', completedAt: null },
    },
    {
      name: 'first event whose increment reaches the target completes',
      start: FRESH_STATE,
      event: stat(110, 10),
      expected: { progress: 110, baselineValue: 100, status: 'completed', completedAt: D1 },
    },
    {
      name: 'first event with no increment: the baseline is the value, nothing counted yet',
      start: FRESH_STATE,
      event: stat(50, 0),
      expected: { progress: 50, baselineValue: 50, status: 'not_started' },
    },
    {
      name: 'later events measure from the baseline and ignore their increment',
      start: row({ progress: 100, baselineValue: 96, status: 'in_progress' }),
      event: stat(106, 1),
      expected: { progress: 106, baselineValue: 96, status: 'completed', completedAt: D1 },
    },
    {
      name: 'completion is sticky: a lower value keeps it completed',
      start: row({ progress: 110, baselineValue: 100, status: 'completed', completedAt: D1 }),
      event: stat(105, 0),
      expected: { progress: 105, status: 'completed', completedAt: D1 },
    },
    {
      name: 'claimed rows never change',
      start: row({ progress: 110, baselineValue: 100, status: 'claimed', completedAt: D1, claimedAt: D1 }),
      event: stat(130, 20),
      expected: { progress: 110, status: 'claimed' },
    },
    {
      name: 'negative values are ignored',
      start: row({ progress: 100, baselineValue: 96, status: 'in_progress' }),
      event: stat(-1, -101),
      expected: { progress: 100, baselineValue: 96 },
    },
  ];
  test.each(cases)('$name', ({ start, event, expected }) => {
    expect(applyGoalEvent(goal, start, event, D1)).toMatchObject(expected);
  });

  test('a relative login goal counts logins from its first one', () => {
    const logins = relative(1);
    const loginGoal = { ...logins, eventSource: 'login' as const };
    const first = applyGoalEvent(loginGoal, row({ progress: 4 }), login, D1);
    expect(first).toMatchObject({ progress: 5, baselineValue: 4, status: 'completed' });
  });

  test('the worked example: initialize, two stat updates, claim', () => {
    let state = applyGoalEvent(goal, FRESH_STATE, stat(100, 4), D1);
    expect(state).toMatchObject({ progress: 100, baselineValue: 96, status: 'in_progress' });
    state = applyGoalEvent(goal, state, stat(106, 6), D1_LATER);
    expect(state).toMatchObject({
      progress: 106,
      baselineValue: 96,
      status: 'completed',
      completedAt: D1_LATER,
    });
  });
});

describe('a new rotation period', () => {
  const claimed = row({
    progress: 106,
    baselineValue: 96,
    status: 'claimed',
    completedAt: D1,
    claimedAt: D1_LATER,
    periodStart: '2026-03-10',
  });
  const completed = row({
    progress: 110,
    baselineValue: 100,
    status: 'completed',
    completedAt: D1,
    periodStart: '2026-03-10',
  });
  const inProgress = row({
    progress: 105,
    baselineValue: 100,
    status: 'in_progress',
    periodStart: '2026-03-10',
  });
  const startedOver: Partial<EventProgress> = {
    status: 'not_started',
    baselineValue: null,
    completedAt: null,
    claimedAt: null,
    periodStart: '2026-03-11',
  };

  const cases: ReadonlyArray<{
    name: string;
    rotates: Rotation;
    start: EventProgress;
    expected: Partial<EventProgress>;
  }> = [
    {
      name: 'claimed, reselectable: starts over',
      rotates: rotation(),
      start: claimed,
      expected: { ...startedOver, progress: 106 },
    },
    {
      name: 'claimed, reselectable, progress kept: starts over all the same (a claim is spent)',
      rotates: rotation({ resetProgress: false }),
      start: claimed,
      expected: startedOver,
    },
    {
      name: 'claimed, not reselectable: stays claimed',
      rotates: rotation({ allowReselection: false }),
      start: claimed,
      expected: claimed,
    },
    { name: 'completed, reset: starts over', rotates: rotation(), start: completed, expected: startedOver },
    {
      name: 'completed, progress kept: stays completed in the new period, claimable',
      rotates: rotation({ resetProgress: false }),
      start: completed,
      expected: { status: 'completed', baselineValue: 100, completedAt: D1, periodStart: '2026-03-11' },
    },
    {
      name: 'in progress, reset: starts over',
      rotates: rotation(),
      start: inProgress,
      expected: startedOver,
    },
    {
      name: 'in progress, progress kept: carries on from the same baseline',
      rotates: rotation({ resetProgress: false }),
      start: inProgress,
      expected: { status: 'in_progress', baselineValue: 100, periodStart: '2026-03-11' },
    },
    {
      name: 'a row without a period marker is adopted into the current period as it is',
      rotates: rotation(),
      start: { ...inProgress, periodStart: null },
      expected: { status: 'in_progress', baselineValue: 100, periodStart: '2026-03-11' },
    },
  ];
  test.each(cases)('$name', ({ rotates, start, expected }) => {
    expect(rollover(relative(10, rotates), start, D2)).toMatchObject(expected);
  });

  test('the same period changes nothing (same object)', () => {
    expect(rollover(relative(10, rotation()), completed, D1_LATER)).toBe(completed);
  });

  test('the worked example, day 2: after a reselection the first event measures from itself', () => {
    const goal = relative(10, rotation());
    let state = applyGoalEvent(goal, claimed, stat(110, 4), D2);
    expect(state).toMatchObject({
      progress: 110,
      baselineValue: 106,
      status: 'in_progress',
      periodStart: '2026-03-11',
    });
    state = applyGoalEvent(goal, state, stat(117, 7), D2_LATER);
    expect(state).toMatchObject({ baselineValue: 106, status: 'completed', completedAt: D2_LATER });
  });

  test('without reselection the claimed row ignores the new period and its events', () => {
    const goal = relative(10, rotation({ allowReselection: false }));
    expect(applyGoalEvent(goal, claimed, stat(200, 90), D2)).toBe(claimed);
  });

  test('a late event of an earlier period changes nothing once the row is in a later one', () => {
    const goal = relative(10, rotation());
    const today = row({
      progress: 120,
      baselineValue: 110,
      status: 'in_progress',
      periodStart: '2026-03-11',
    });
    expect(applyGoalEvent(goal, today, stat(130, 10), new Date('2026-03-10T23:59:00Z'))).toBe(today);
  });

  test('weekly and monthly rows roll over only at their own boundaries', () => {
    const weekly = relative(10, rotation({ schedule: 'weekly' }));
    const monday = row({ ...inProgress, periodStart: '2026-03-09' });
    expect(rollover(weekly, monday, new Date('2026-03-15T23:59:59Z'))).toBe(monday);
    expect(rollover(weekly, monday, new Date('2026-03-16T00:00:00Z'))).toMatchObject({
      periodStart: '2026-03-16',
      status: 'not_started',
    });
    const monthly = relative(10, rotation({ schedule: 'monthly' }));
    const march = row({ ...inProgress, periodStart: '2026-03-01' });
    expect(rollover(monthly, march, new Date('2026-03-31T23:59:59Z'))).toBe(march);
    expect(rollover(monthly, march, new Date('2026-04-01T00:00:00Z'))).toMatchObject({
      periodStart: '2026-04-01',
    });
  });
});
