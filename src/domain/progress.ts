import { isFromEarlierPeriod, rollover } from './rollover.ts';
import { utcDay } from './time.ts';
import type { Goal, GoalStatus } from './types.ts';

/** The part of a progress row that events change. */
export interface EventProgress {
  /** The stat's value for `absolute` goals (raw, also in `relative` mode), the count otherwise. */
  readonly progress: number;
  readonly status: GoalStatus;
  /** The first completion; kept while the goal stays completed. */
  readonly completedAt: Date | null;
  readonly claimedAt: Date | null;
  /** UTC day of the last counted event for per-day goals. */
  readonly progressDay: string | null;
  /** Time of the newest event applied to the row (see domain/event-time.ts). */
  readonly lastEventAt: Date | null;
  /** `relative` goals: the stat's value the goal measures from; null until the first event. */
  readonly baselineValue: number | null;
  /** Rotating goals: the period (its first UTC day) the row's state belongs to. */
  readonly periodStart: string | null;
}

/** Whether two states are the same in every stored field: a write of one over the other changes nothing. */
export function isSameProgress(a: EventProgress, b: EventProgress): boolean {
  return (
    a.progress === b.progress &&
    a.status === b.status &&
    a.progressDay === b.progressDay &&
    a.baselineValue === b.baselineValue &&
    a.periodStart === b.periodStart &&
    a.lastEventAt?.getTime() === b.lastEventAt?.getTime() &&
    a.completedAt?.getTime() === b.completedAt?.getTime() &&
    a.claimedAt?.getTime() === b.claimedAt?.getTime()
  );
}

/** What a game event means for one goal it matches. */
export type GoalEvent =
  | { readonly source: 'login' }
  /** `inc` is the update's own increment, which a relative goal's first event counts. */
  | { readonly source: 'statistic'; readonly value: number; readonly inc: number };

/** Progress is stored as a PostgreSQL `integer`. */
export const MAX_PROGRESS = 2_147_483_647;
const MIN_BASELINE = -2_147_483_648;

export const FRESH_STATE: EventProgress = {
  progress: 0,
  status: 'not_started',
  completedAt: null,
  claimedAt: null,
  progressDay: null,
  lastEventAt: null,
  baselineValue: null,
  periodStart: null,
};

/**
 * Why a matching event left a goal's row as it was; the audit trail records it. Rows the flush
 * does not fold at all have reasons of their own (see domain/audit.ts).
 */
export type UnchangedReason =
  | 'already_completed'
  | 'already_claimed'
  | 'already_counted_today'
  | 'rotated_period'
  | 'older_event'
  | 'negative_value_ignored'
  | 'value_unchanged';

/**
 * The state after one matching event that happened at `at`. Returns `state` itself when the event
 * changes nothing, so callers can skip the write. Callers only pass rows that are active; inactive
 * rows are never touched.
 *
 * Invariants:
 * - a claimed goal never moves, except that a new period of a reselectable rotating goal, or a new
 *   UTC day of a `daily` goal, opens it again;
 * - completion is sticky: `status` stays completed and `completedAt` keeps the first completion,
 *   while an `absolute` goal's progress keeps following the stat until the goal is claimed (it may
 *   pass the target, or drop below it);
 * - per-day goals count an event on the UTC day it happened; an event of an earlier day (or of an
 *   earlier rotation period) than the one already counted changes nothing;
 * - an `absolute` goal keeps the value of the newest event: an older one changes nothing;
 * - only `absolute` goals ignore negative or non-numeric values; every other goal counts every
 *   matching event.
 */
export function applyGoalEvent(goal: Goal, state: EventProgress, event: GoalEvent, at: Date): EventProgress {
  const next = evaluateGoalEvent(goal, state, event, at);
  return typeof next === 'string' ? state : next;
}

/**
 * `applyGoalEvent`, saying why when the event changes nothing: the new state, or the reason the
 * row stays exactly as it was. One set of rules serves both, so the audit cannot disagree with
 * what was applied.
 */
export function evaluateGoalEvent(
  goal: Goal,
  state: EventProgress,
  event: GoalEvent,
  at: Date,
): EventProgress | UnchangedReason {
  if (goal.type === 'daily') return applyDaily(state, at);
  if (goal.type === 'increment') return applyIncrement(goal, state, at);
  return applyValue(goal, state, event, at);
}

function applyDaily(state: EventProgress, at: Date): EventProgress | UnchangedReason {
  const day = utcDay(at);
  if (state.progressDay !== null && day < state.progressDay) return 'older_event';
  if (state.progressDay === day && (state.status === 'completed' || state.status === 'claimed')) {
    return 'already_counted_today';
  }
  return {
    ...state,
    progress: 1,
    status: 'completed',
    completedAt: at,
    claimedAt: null,
    progressDay: day,
    lastEventAt: latest(at, state.lastEventAt),
  };
}

function applyIncrement(goal: Goal, state: EventProgress, at: Date): EventProgress | UnchangedReason {
  if (state.status === 'completed') return 'already_completed';
  if (state.status === 'claimed') return 'already_claimed';
  let progressDay = state.progressDay;
  if (goal.daily) {
    const day = utcDay(at);
    if (progressDay !== null && day < progressDay) return 'older_event';
    if (progressDay === day) return 'already_counted_today';
    progressDay = day;
  }
  const progress = Math.min(state.progress + 1, MAX_PROGRESS);
  return { ...withStatus(goal, state, progress, progress, at), progressDay };
}

/**
 * `absolute` goals, in either progress mode, rotating or not. A new period may change the row
 * (rollover) even when the event itself counts for nothing: then the rolled-over row is the result.
 */
function applyValue(
  goal: Goal,
  stored: EventProgress,
  event: GoalEvent,
  at: Date,
): EventProgress | UnchangedReason {
  if (isFromEarlierPeriod(goal, stored, at)) return 'rotated_period';
  const state = rollover(goal, stored, at);
  const unchanged = (reason: UnchangedReason) => (state === stored ? reason : state);
  if (state.status === 'claimed') return unchanged('already_claimed');
  let value: number;
  let inc: number;
  if (event.source === 'login') {
    value = Math.min(state.progress + 1, MAX_PROGRESS);
    inc = 1;
  } else {
    const latestValue = statValue(event.value);
    if (latestValue === undefined) return unchanged('negative_value_ignored');
    if (isOlder(at, state.lastEventAt)) return unchanged('older_event');
    value = latestValue;
    inc = Number.isFinite(event.inc) ? Math.trunc(event.inc) : 0;
  }
  // An unchanged value writes nothing (not even the event time): repeated values are common, and a
  // row version per event is what the flush costs.
  if (value === state.progress && (goal.progressMode === 'absolute' || state.baselineValue !== null)) {
    return unchanged('value_unchanged');
  }
  if (goal.progressMode === 'absolute') return withStatus(goal, state, value, value, at);
  // Relative: the first event (no baseline yet) counts its own increment. The baseline is stored
  // as a PostgreSQL integer: an increment larger than any progress (a currency stat's) is held to
  // that range, where the goal measures as far as it can.
  const baselineValue = state.baselineValue ?? Math.min(MAX_PROGRESS, Math.max(MIN_BASELINE, value - inc));
  return { ...withStatus(goal, state, value, value - baselineValue, at), baselineValue };
}

/** Stores `progress`; the status follows `measured` (what counts towards the target), sticky once completed. */
function withStatus(
  goal: Goal,
  state: EventProgress,
  progress: number,
  measured: number,
  at: Date,
): EventProgress {
  const completed = state.status === 'completed' || measured >= goal.requirement.targetValue;
  return {
    ...state,
    progress,
    status: completed ? 'completed' : measured > 0 ? 'in_progress' : 'not_started',
    completedAt: completed ? (state.completedAt ?? at) : null,
    claimedAt: null,
    lastEventAt: latest(at, state.lastEventAt),
  };
}

const isOlder = (at: Date, stored: Date | null): boolean =>
  stored !== null && at.getTime() < stored.getTime();
const latest = (at: Date, stored: Date | null): Date => (isOlder(at, stored) && stored ? stored : at);

/** A stat's latest value as progress: truncated to an integer; negative or non-finite values are ignored. */
function statValue(value: number): number | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  return Math.min(Math.trunc(value), MAX_PROGRESS);
}
