/**
 * What a new rotation period does to a player's stored progress on a rotating goal. Lazy: nothing
 * runs at the boundary; every reader and writer (the list, /initialize, a claim, the event flush)
 * applies this to the row it holds, with the time of its own request or event.
 *
 * The row's period is its explicit marker (`period_start`), never `updated_at`: activation,
 * selection and /initialize write rows too, and must not hide a period change.
 */

import type { EventProgress } from './progress.ts';
import { periodKey, periodKeyOfStored } from './rotation.ts';
import type { Goal } from './types.ts';

/**
 * The row as of the period containing `at`:
 * - same period (or a row written in a later one, by an event stamped later): unchanged;
 * - no marker yet (a row from before the goal rotated): adopted into the current period as it is;
 * - a new period, claimed: with `allowReselection` the goal starts over (not started, no baseline,
 *   no completion or claim), so it can be earned and claimed again; without, it stays claimed;
 * - a new period, not claimed: with `resetProgress` the goal starts over; without, progress,
 *   baseline and an unclaimed completion carry over into the new period (and stay claimable).
 * Starting over keeps the raw stat value in `progress`: a relative goal measures from its next event.
 */
export function rollover<T extends RolloverFields>(goal: Goal, state: T, at: Date): T {
  const { rotation } = goal;
  if (!rotation) return state;
  const current = periodKey(rotation.schedule, at);
  if (state.periodStart === null) return { ...state, periodStart: current };
  if (periodKeyOfStored(rotation.schedule, state.periodStart) >= current) return state;
  const startsOver = state.status === 'claimed' ? rotation.allowReselection : rotation.resetProgress;
  if (state.status === 'claimed' && !startsOver) return state;
  if (!startsOver) return { ...state, periodStart: current };
  return {
    ...state,
    status: 'not_started',
    baselineValue: null,
    completedAt: null,
    claimedAt: null,
    periodStart: current,
  };
}

/** The fields a new period may change; readers pass the row as they hold it. */
type RolloverFields = Pick<
  EventProgress,
  'status' | 'baselineValue' | 'completedAt' | 'claimedAt' | 'periodStart'
>;

/** Whether an event at `at` belongs to a period before the one the row is already in. */
export function isFromEarlierPeriod(goal: Goal, state: RolloverFields, at: Date): boolean {
  const { rotation } = goal;
  return (
    rotation !== null &&
    state.periodStart !== null &&
    periodKey(rotation.schedule, at) < periodKeyOfStored(rotation.schedule, state.periodStart)
  );
}
