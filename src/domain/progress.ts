import { utcDay } from './time.ts';
import type { Goal, GoalStatus } from './types.ts';

/** The part of a progress row that events change. */
export interface EventProgress {
  readonly progress: number;
  readonly status: GoalStatus;
  readonly completedAt: Date | null;
  readonly claimedAt: Date | null;
  /** UTC day of the last counted event for per-day goals. */
  readonly progressDay: string | null;
  /** Time of the newest event applied to the row (see domain/event-time.ts). */
  readonly lastEventAt: Date | null;
}

/** What a game event means for one goal it matches. */
export type GoalEvent =
  | { readonly source: 'login' }
  | { readonly source: 'statistic'; readonly value: number };

/** Progress is stored as a PostgreSQL `integer`. */
export const MAX_PROGRESS = 2_147_483_647;

export const FRESH_STATE: EventProgress = {
  progress: 0,
  status: 'not_started',
  completedAt: null,
  claimedAt: null,
  progressDay: null,
  lastEventAt: null,
};

/**
 * The state after one matching event that happened at `at`. Returns `state` itself when the event
 * changes nothing, so callers can skip the write. Callers only pass rows that are active; inactive
 * rows are never touched.
 *
 * Invariants: completion is sticky (a completed or claimed goal never moves again), except that a
 * `daily` goal reopens at 00:00 UTC: its first event of a new day completes it again, even if it
 * was claimed on an earlier day. Per-day goals count an event on the UTC day it happened, and an
 * event of an earlier day than the one already counted changes nothing. An `absolute` statistic
 * goal keeps the value of the newest event: a value older than the stored one (an earlier event
 * redelivered after a later one was applied) changes nothing.
 */
export function applyGoalEvent(goal: Goal, state: EventProgress, event: GoalEvent, at: Date): EventProgress {
  const day = utcDay(at);
  if (goal.type === 'daily') return applyDaily(state, event, at, day);
  if (state.status === 'completed' || state.status === 'claimed') return state;

  let progress: number;
  let progressDay = state.progressDay;
  if (goal.type === 'absolute') {
    if (event.source === 'login') progress = state.progress + 1;
    else {
      const value = statValue(event.value);
      if (value === undefined || isOlder(at, state.lastEventAt)) return state;
      if (value === state.progress) return state;
      progress = value;
    }
  } else {
    if (event.source === 'statistic' && statValue(event.value) === undefined) return state;
    if (goal.daily) {
      if (isSameOrEarlierDay(day, state.progressDay)) return state;
      progressDay = day;
    }
    progress = state.progress + 1;
  }
  return withProgress(goal, state, Math.min(progress, MAX_PROGRESS), progressDay, at);
}

function applyDaily(state: EventProgress, event: GoalEvent, at: Date, day: string): EventProgress {
  if (event.source === 'statistic' && statValue(event.value) === undefined) return state;
  if (state.progressDay !== null && day < state.progressDay) return state;
  if (state.progressDay === day && (state.status === 'completed' || state.status === 'claimed')) return state;
  return {
    progress: 1,
    status: 'completed',
    completedAt: at,
    claimedAt: null,
    progressDay: day,
    lastEventAt: latest(at, state.lastEventAt),
  };
}

function withProgress(
  goal: Goal,
  state: EventProgress,
  progress: number,
  progressDay: string | null,
  at: Date,
): EventProgress {
  const completed = progress >= goal.requirement.targetValue;
  return {
    progress,
    status: completed ? 'completed' : progress > 0 ? 'in_progress' : 'not_started',
    completedAt: completed ? at : null,
    claimedAt: null,
    progressDay,
    lastEventAt: latest(at, state.lastEventAt),
  };
}

const isOlder = (at: Date, stored: Date | null): boolean =>
  stored !== null && at.getTime() < stored.getTime();
const latest = (at: Date, stored: Date | null): Date => (isOlder(at, stored) && stored ? stored : at);
/** `YYYY-MM-DD` strings order like the days they name. */
const isSameOrEarlierDay = (day: string, counted: string | null): boolean =>
  counted !== null && day <= counted;

/** A stat's latest value as progress: truncated to an integer; negative or non-finite values are ignored. */
function statValue(value: number): number | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  return Math.trunc(value);
}
