/**
 * What an admin's change does to a player's stored progress on one goal: set the progress,
 * force-complete, or reset. Pure; the service locks the row, applies this, and writes the result
 * with its audit entry in one transaction.
 *
 * Rules:
 * - progress is what counts towards the target, as the player sees it: a `relative` goal keeps the
 *   stat's raw value and moves its baseline instead, so the next event adds its gain on top;
 * - set progress is authoritative: the status follows the new value (completed at or over the
 *   target, not started at 0, in progress otherwise), so a value under the target un-completes an
 *   unclaimed goal; a completion kept keeps its first `completedAt`;
 * - a claimed goal is final: set and complete are refused with GOAL_ALREADY_CLAIMED, and reset is
 *   the way back (it starts a new earning, which the claims ledger lets be claimed once more);
 * - a `daily` goal's progress is 0 or 1 (any value from 1 completes it for the current UTC day);
 * - a rotating goal is changed as of the current period.
 */
import { goalAlreadyClaimed, invalidRequest } from './errors.ts';
import { type EventProgress, FRESH_STATE, isSameProgress, MAX_PROGRESS } from './progress.ts';
import { rollover } from './rollover.ts';
import { periodKey } from './rotation.ts';
import { formatTimestamp, utcDay } from './time.ts';
import type { Goal, GoalStatus } from './types.ts';

export type AdminChange =
  | { readonly kind: 'set_progress'; readonly progress: number }
  | { readonly kind: 'complete' }
  | { readonly kind: 'reset' };

/** The new state, or why the change leaves the row as it is. */
export type AdminChangeResult =
  | { readonly next: EventProgress }
  | { readonly unchanged: 'already_completed' | 'value_unchanged' };

/** Throws INVALID_REQUEST unless `progress` is a whole number a row can store. */
export function checkedProgress(progress: unknown): number {
  if (typeof progress !== 'number' || !Number.isInteger(progress) || progress < 0 || progress > MAX_PROGRESS)
    throw invalidRequest(`"progress" must be a whole number from 0 to ${MAX_PROGRESS}`);
  return progress;
}

/** The state a new row of `goal` starts in at `now`. */
export function freshState(goal: Goal, now: Date): EventProgress {
  return { ...FRESH_STATE, periodStart: goal.rotation ? periodKey(goal.rotation.schedule, now) : null };
}

export function applyAdminChange(
  goal: Goal,
  stored: EventProgress,
  change: AdminChange,
  now: Date,
): AdminChangeResult {
  const next =
    change.kind === 'reset' ? resetState(goal, stored, now) : changedState(goal, stored, change, now);
  if (typeof next === 'string') return { unchanged: next };
  return isSameProgress(next, stored) ? { unchanged: 'value_unchanged' } : { next };
}

function resetState(goal: Goal, stored: EventProgress, now: Date): EventProgress {
  // The newest event time stays: an `absolute` goal must still ignore events older than the
  // value it last followed.
  return { ...freshState(goal, now), lastEventAt: stored.lastEventAt };
}

function changedState(
  goal: Goal,
  stored: EventProgress,
  change: Exclude<AdminChange, { kind: 'reset' }>,
  now: Date,
): EventProgress | 'already_completed' {
  const current = currentState(goal, stored, now);
  if (current.status === 'claimed') {
    throw goalAlreadyClaimed(goal.goalId, formatTimestamp(current.claimedAt));
  }
  const target = goal.requirement.targetValue;
  if (change.kind === 'complete') {
    if (current.status === 'completed') return 'already_completed';
    const measured = goal.type === 'daily' ? 1 : Math.max(measuredProgress(goal, current) ?? 0, target);
    return withMeasured(goal, current, measured, 'completed', now, { allowNoBaseline: true });
  }
  const measured = goal.type === 'daily' ? Math.min(change.progress, 1) : change.progress;
  const completed = goal.type === 'daily' ? measured >= 1 : measured >= target;
  const status: GoalStatus = completed ? 'completed' : measured > 0 ? 'in_progress' : 'not_started';
  return withMeasured(goal, current, measured, status, now, { allowNoBaseline: false });
}

/**
 * The row as it stands now: a new rotation period rolled over, and a `daily` goal of an earlier
 * UTC day open again (as the player sees it).
 */
function currentState(goal: Goal, stored: EventProgress, now: Date): EventProgress {
  if (goal.type === 'daily' && stored.progressDay !== utcDay(now)) {
    return { ...stored, progress: 0, status: 'not_started', completedAt: null, claimedAt: null };
  }
  return rollover(goal, stored, now);
}

const isRelative = (goal: Goal) => goal.type === 'absolute' && goal.progressMode === 'relative';

/** What counts towards the target; undefined for a relative goal with no baseline yet. */
function measuredProgress(goal: Goal, state: EventProgress): number | undefined {
  if (!isRelative(goal)) return state.progress;
  return state.baselineValue === null ? undefined : state.progress - state.baselineValue;
}

function withMeasured(
  goal: Goal,
  current: EventProgress,
  measured: number,
  status: GoalStatus,
  now: Date,
  options: { readonly allowNoBaseline: boolean },
): EventProgress {
  const done = status === 'completed';
  const base: EventProgress = {
    ...current,
    status,
    completedAt: done ? (current.completedAt ?? now) : null,
    claimedAt: null,
    ...(goal.type === 'daily' ? { progressDay: utcDay(now) } : {}),
  };
  if (!isRelative(goal)) return { ...base, progress: measured };
  if (current.baselineValue === null) {
    // Relative goals count from the stat's value at their first event of the period; before that
    // there is no value to count from. A completion needs none (it is sticky); a number does.
    if (options.allowNoBaseline) return base;
    throw invalidRequest(
      `Goal '${goal.goalId}' counts its stat from the player's first event${goal.rotation ? ' of the period' : ''}, and none has arrived yet, so there is no value to set progress against; complete it instead, or set it after the next event`,
    );
  }
  return { ...base, baselineValue: current.progress - measured };
}
