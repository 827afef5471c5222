import { utcDay } from './time.ts';
import type { Goal, GoalStatus } from './types.ts';

/** The part of a progress row that events change. */
export interface ProgressState {
  readonly progress: number;
  readonly status: GoalStatus;
  readonly completedAt: Date | null;
  readonly claimedAt: Date | null;
  /** UTC day of the last counted event for per-day goals. */
  readonly progressDay: string | null;
}

/** What a game event means for one goal it matches. */
export type GoalEvent =
  | { readonly source: 'login' }
  | { readonly source: 'statistic'; readonly value: number };

/** Progress is stored as a PostgreSQL `integer`. */
export const MAX_PROGRESS = 2_147_483_647;

export const FRESH_STATE: ProgressState = {
  progress: 0,
  status: 'not_started',
  completedAt: null,
  claimedAt: null,
  progressDay: null,
};

/**
 * The state after one matching event. Returns `state` itself when the event changes nothing, so
 * callers can skip the write. Callers only pass rows that are active; inactive rows are never touched.
 *
 * Invariants: completion is sticky (a completed or claimed goal never moves again), except that a
 * `daily` goal reopens at 00:00 UTC: its first event of a new day completes it again, even if it
 * was claimed on an earlier day.
 */
export function applyGoalEvent(goal: Goal, state: ProgressState, event: GoalEvent, now: Date): ProgressState {
  const today = utcDay(now);
  if (goal.type === 'daily') return applyDaily(state, event, now, today);
  if (state.status === 'completed' || state.status === 'claimed') return state;

  let progress: number;
  let progressDay = state.progressDay;
  if (goal.type === 'absolute') {
    if (event.source === 'login') progress = state.progress + 1;
    else {
      const value = statValue(event.value);
      if (value === undefined || value === state.progress) return state;
      progress = value;
    }
  } else {
    if (event.source === 'statistic' && statValue(event.value) === undefined) return state;
    if (goal.daily) {
      if (state.progressDay === today) return state;
      progressDay = today;
    }
    progress = state.progress + 1;
  }
  return withProgress(goal, Math.min(progress, MAX_PROGRESS), progressDay, now);
}

function applyDaily(state: ProgressState, event: GoalEvent, now: Date, today: string): ProgressState {
  if (event.source === 'statistic' && statValue(event.value) === undefined) return state;
  if (state.progressDay === today && (state.status === 'completed' || state.status === 'claimed'))
    return state;
  return { progress: 1, status: 'completed', completedAt: now, claimedAt: null, progressDay: today };
}

function withProgress(goal: Goal, progress: number, progressDay: string | null, now: Date): ProgressState {
  const completed = progress >= goal.requirement.targetValue;
  return {
    progress,
    status: completed ? 'completed' : progress > 0 ? 'in_progress' : 'not_started',
    completedAt: completed ? now : null,
    claimedAt: null,
    progressDay,
  };
}

/** A stat's latest value as progress: truncated to an integer; negative or non-finite values are ignored. */
function statValue(value: number): number | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  return Math.trunc(value);
}
