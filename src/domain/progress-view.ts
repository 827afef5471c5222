import type { Catalog } from './catalog.ts';
import { rollover } from './rollover.ts';
import { nextPeriodStart, periodKey } from './rotation.ts';
import { nextUtcMidnight, utcDay } from './time.ts';
import type { Goal, GoalStatus, ProgressState } from './types.ts';

/** What a player sees for one goal: stored progress adjusted for time (new days and periods). */
export interface ProgressView {
  /** What counts towards the target: the stored value, or for `relative` goals what it gained. */
  readonly progress: number;
  readonly status: GoalStatus;
  readonly isActive: boolean;
  readonly completedAt: Date | null;
  readonly claimedAt: Date | null;
  readonly expiresAt: Date | null;
  /** Claim period this view belongs to (`claimPeriod`). */
  readonly period: string;
}

/**
 * The read-path value of a goal for one player, without any write. A goal with no row is
 * unassigned: progress 0, `not_started`, inactive. A `daily` goal whose last completion was on an
 * earlier UTC day shows as open again; a rotating goal shows its row as of the current period
 * (domain/rollover.ts). Rotating goals always show when the period ends, assigned or not.
 */
export function viewProgress(goal: Goal, row: ProgressState | undefined, now: Date): ProgressView {
  const daily = goal.type === 'daily';
  const { rotation } = goal;
  const expiresAt = rotation
    ? nextPeriodStart(rotation.schedule, now)
    : !row
      ? null
      : daily
        ? nextUtcMidnight(now)
        : row.expiresAt;
  const period = claimPeriod(goal, now);
  if (!row) {
    return {
      progress: 0,
      status: 'not_started',
      isActive: false,
      completedAt: null,
      claimedAt: null,
      expiresAt,
      period,
    };
  }
  if (daily && row.progressDay !== utcDay(now)) {
    return {
      progress: 0,
      status: 'not_started',
      isActive: row.isActive,
      completedAt: null,
      claimedAt: null,
      expiresAt,
      period,
    };
  }
  const current = rollover(goal, row, now);
  return {
    progress: displayedProgress(goal, current),
    status: current.status,
    isActive: row.isActive,
    completedAt: current.completedAt,
    claimedAt: current.claimedAt,
    expiresAt,
    period,
  };
}

/**
 * The claim period a goal is in at `now` (one claim per goal and period): the UTC day for daily
 * goals, the rotation period (its first day) for reselectable rotating goals, `once` otherwise.
 * Known from the goal and the time alone, so a claim can lock its ledger entry together with the
 * progress row.
 */
export function claimPeriod(goal: Goal, now: Date): string {
  if (goal.type === 'daily') return utcDay(now);
  return goal.rotation?.allowReselection ? periodKey(goal.rotation.schedule, now) : 'once';
}

/** `relative` goals count from their baseline (nothing before their first event); others show the stored value. */
export function displayedProgress(
  goal: Goal,
  state: Pick<ProgressState, 'progress' | 'baselineValue'>,
): number {
  if (goal.type !== 'absolute' || goal.progressMode === 'absolute') return state.progress;
  return state.baselineValue === null ? 0 : Math.max(0, state.progress - state.baselineValue);
}

/** The view of every row whose goal is still configured, by goal id. */
export function viewRows(
  catalog: Catalog,
  rows: readonly ProgressState[],
  now: Date,
): Map<string, ProgressView> {
  const views = new Map<string, ProgressView>();
  for (const row of rows) {
    const goal = catalog.goalById.get(row.goalId);
    if (goal) views.set(goal.goalId, viewProgress(goal, row, now));
  }
  return views;
}

export const isDone = (status: GoalStatus): boolean => status === 'completed' || status === 'claimed';

/** Prerequisites of `goal` that are neither completed nor claimed for this player. */
export function unmetPrerequisites(goal: Goal, statusOf: (goalId: string) => GoalStatus): string[] {
  return goal.prerequisites.filter((goalId) => !isDone(statusOf(goalId)));
}
