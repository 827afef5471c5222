import { nextUtcMidnight, utcDay } from './time.ts';
import type { Goal, GoalStatus, ProgressState } from './types.ts';

/** What a player sees for one goal: stored progress adjusted for time (daily goals reopen). */
export interface ProgressView {
  readonly progress: number;
  readonly status: GoalStatus;
  readonly isActive: boolean;
  readonly completedAt: Date | null;
  readonly claimedAt: Date | null;
  readonly expiresAt: Date | null;
  /** Claim period this view belongs to: the UTC day for daily goals, `once` otherwise. */
  readonly period: string;
}

/**
 * The read-path value of a goal for one player. A goal with no row is unassigned: progress 0,
 * `not_started`, inactive. A `daily` goal whose last completion was on an earlier UTC day shows as
 * open again (progress 0, `not_started`) without any write.
 */
export function viewProgress(goal: Goal, row: ProgressState | undefined, now: Date): ProgressView {
  const daily = goal.type === 'daily';
  // A goal with no row has no timestamps at all; an assigned daily goal expires at the next 00:00 UTC.
  const expiresAt = !row ? null : daily ? nextUtcMidnight(now) : row.expiresAt;
  const period = daily ? utcDay(now) : 'once';
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
  const reopened = daily && row.progressDay !== utcDay(now);
  return {
    progress: reopened ? 0 : row.progress,
    status: reopened ? 'not_started' : row.status,
    isActive: row.isActive,
    completedAt: reopened ? null : row.completedAt,
    claimedAt: reopened ? null : row.claimedAt,
    expiresAt,
    period,
  };
}

export const isDone = (status: GoalStatus): boolean => status === 'completed' || status === 'claimed';

/** Prerequisites of `goal` that are neither completed nor claimed for this player. */
export function unmetPrerequisites(goal: Goal, statusOf: (goalId: string) => GoalStatus): string[] {
  return goal.prerequisites.filter((goalId) => !isDone(statusOf(goalId)));
}
