/** The rules of an admin's set progress, complete and reset, per goal type and mode. */
import { describe, expect, test } from 'bun:test';
import { type AdminChange, applyAdminChange, checkedProgress } from '../../src/domain/admin-progress.ts';
import { isAppError } from '../../src/domain/errors.ts';
import { applyGoalEvent, type EventProgress, FRESH_STATE } from '../../src/domain/progress.ts';
import { displayedProgress } from '../../src/domain/progress-view.ts';
import { makeGoal } from '../helpers/goals.ts';

const NOW = new Date('2026-05-06T12:00:00Z');
const EARLIER = new Date('2026-05-01T08:00:00Z');
const absolute = makeGoal({ targetValue: 10 });
const increment = makeGoal({ type: 'increment', targetValue: 5 });
const daily = makeGoal({ type: 'daily', targetValue: 1, eventSource: 'login' });
const relative = makeGoal({ progressMode: 'relative', targetValue: 10 });
const rotating = makeGoal({
  progressMode: 'relative',
  targetValue: 10,
  rotation: { schedule: 'weekly', resetProgress: true, allowReselection: true },
});

const state = (overrides: Partial<EventProgress> = {}): EventProgress => ({ ...FRESH_STATE, ...overrides });
const next = (result: ReturnType<typeof applyAdminChange>): EventProgress => {
  if (!('next' in result)) throw new Error(`expected a change, got ${result.unchanged}`);
  return result.next;
};
const set = (progress: number): AdminChange => ({ kind: 'set_progress', progress });
const codeOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (isAppError(error)) return error.code;
    throw error;
  }
  return 'no error';
};

describe('set progress', () => {
  test.each([
    [0, 'not_started'],
    [4, 'in_progress'],
    [10, 'completed'],
    [25, 'completed'],
  ] as const)('%i on an absolute goal → %s', (progress, status) => {
    const after = next(
      applyAdminChange(absolute, state({ progress: 3, status: 'in_progress' }), set(progress), NOW),
    );
    expect({ progress: after.progress, status: after.status }).toEqual({ progress, status });
    expect(after.completedAt).toEqual(status === 'completed' ? NOW : null);
  });

  test('under the target un-completes an unclaimed goal; over it keeps the first completion', () => {
    const done = state({ progress: 12, status: 'completed', completedAt: EARLIER });
    expect(next(applyAdminChange(absolute, done, set(6), NOW))).toMatchObject({
      status: 'in_progress',
      completedAt: null,
    });
    expect(next(applyAdminChange(absolute, done, set(11), NOW))).toMatchObject({
      status: 'completed',
      completedAt: EARLIER,
    });
  });

  test('the same value changes nothing', () => {
    const current = state({ progress: 4, status: 'in_progress' });
    expect(applyAdminChange(absolute, current, set(4), NOW)).toEqual({ unchanged: 'value_unchanged' });
  });

  test('a claimed goal is refused until it is reset', () => {
    const claimed = state({ progress: 10, status: 'claimed', completedAt: EARLIER, claimedAt: EARLIER });
    expect(codeOf(() => applyAdminChange(absolute, claimed, set(3), NOW))).toBe('GOAL_ALREADY_CLAIMED');
    expect(codeOf(() => applyAdminChange(absolute, claimed, { kind: 'complete' }, NOW))).toBe(
      'GOAL_ALREADY_CLAIMED',
    );
    expect(next(applyAdminChange(absolute, claimed, { kind: 'reset' }, NOW)).status).toBe('not_started');
  });

  test('an increment goal counts on from the value set', () => {
    const after = next(applyAdminChange(increment, state(), set(3), NOW));
    expect(applyGoalEvent(increment, after, { source: 'statistic', value: 1, inc: 1 }, NOW).progress).toBe(4);
  });

  test('a relative goal moves its baseline, so the next event adds its gain on top', () => {
    const current = state({ progress: 120, baselineValue: 117, status: 'in_progress', lastEventAt: EARLIER });
    const after = next(applyAdminChange(relative, current, set(8), NOW));
    expect(after).toMatchObject({ progress: 120, baselineValue: 112, status: 'in_progress' });
    expect(displayedProgress(relative, after)).toBe(8);
    const evented = applyGoalEvent(relative, after, { source: 'statistic', value: 122, inc: 2 }, NOW);
    expect(displayedProgress(relative, evented)).toBe(10);
    expect(evented.status).toBe('completed');
  });

  test('a relative goal before its first event has no value to count from: 400', () => {
    expect(codeOf(() => applyAdminChange(relative, state(), set(3), NOW))).toBe('INVALID_REQUEST');
  });

  test('a daily goal is 0 or 1, for the current UTC day', () => {
    const yesterday = state({
      progress: 1,
      status: 'claimed',
      progressDay: '2026-05-05',
      completedAt: EARLIER,
      claimedAt: EARLIER,
    });
    // Claimed yesterday is open today: it can be set.
    expect(next(applyAdminChange(daily, yesterday, set(5), NOW))).toMatchObject({
      progress: 1,
      status: 'completed',
      progressDay: '2026-05-06',
      completedAt: NOW,
      claimedAt: null,
    });
    expect(next(applyAdminChange(daily, yesterday, set(0), NOW))).toMatchObject({
      progress: 0,
      status: 'not_started',
    });
  });

  test('a rotating goal is changed as of the current period', () => {
    const lastWeek = state({
      progress: 40,
      baselineValue: 30,
      status: 'claimed',
      completedAt: EARLIER,
      claimedAt: EARLIER,
      periodStart: '2026-04-27',
    });
    // The new week started the claimed goal over (allowReselection), with no baseline yet.
    expect(codeOf(() => applyAdminChange(rotating, lastWeek, set(3), NOW))).toBe('INVALID_REQUEST');
    const completed = next(applyAdminChange(rotating, lastWeek, { kind: 'complete' }, NOW));
    expect(completed).toMatchObject({ status: 'completed', periodStart: '2026-05-04', claimedAt: null });
  });
});

describe('complete', () => {
  test('raises progress to the target and completes now', () => {
    expect(next(applyAdminChange(absolute, state({ progress: 3 }), { kind: 'complete' }, NOW))).toMatchObject(
      {
        progress: 10,
        status: 'completed',
        completedAt: NOW,
      },
    );
    expect(
      next(applyAdminChange(increment, state({ progress: 7 }), { kind: 'complete' }, NOW)).progress,
    ).toBe(7);
  });

  test('an already completed goal is unchanged', () => {
    const done = state({ progress: 10, status: 'completed', completedAt: EARLIER });
    expect(applyAdminChange(absolute, done, { kind: 'complete' }, NOW)).toEqual({
      unchanged: 'already_completed',
    });
  });

  test('a relative goal shows the target; one without a baseline still completes', () => {
    const current = state({ progress: 50, baselineValue: 48, status: 'in_progress' });
    const after = next(applyAdminChange(relative, current, { kind: 'complete' }, NOW));
    expect(displayedProgress(relative, after)).toBe(10);
    expect(next(applyAdminChange(relative, state(), { kind: 'complete' }, NOW)).status).toBe('completed');
  });
});

describe('reset', () => {
  test('back to not started: no progress, completion, claim, baseline or day marker; event time kept', () => {
    const claimed = state({
      progress: 30,
      status: 'claimed',
      completedAt: EARLIER,
      claimedAt: EARLIER,
      baselineValue: 10,
      progressDay: '2026-05-01',
      lastEventAt: EARLIER,
    });
    expect(next(applyAdminChange(relative, claimed, { kind: 'reset' }, NOW))).toEqual({
      ...FRESH_STATE,
      lastEventAt: EARLIER,
    });
  });

  test('a rotating goal starts over in the current period; a fresh row is unchanged', () => {
    expect(next(applyAdminChange(rotating, state({ progress: 5 }), { kind: 'reset' }, NOW)).periodStart).toBe(
      '2026-05-04',
    );
    expect(applyAdminChange(absolute, state(), { kind: 'reset' }, NOW)).toEqual({
      unchanged: 'value_unchanged',
    });
  });
});

test('checkedProgress takes whole numbers a row can store', () => {
  expect(checkedProgress(0)).toBe(0);
  expect(checkedProgress(2_147_483_647)).toBe(2_147_483_647);
  for (const bad of [-1, 1.5, 2_147_483_648, '5', null, undefined, Number.NaN])
    expect(codeOf(() => checkedProgress(bad))).toBe('INVALID_REQUEST');
});
