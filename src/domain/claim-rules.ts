import { goalAlreadyClaimed, goalNotActive, goalNotCompleted, prerequisitesNotMet } from './errors.ts';
import { type ProgressView, unmetPrerequisites } from './progress-view.ts';
import { formatTimestamp } from './time.ts';
import type { Goal, GoalStatus } from './types.ts';

/**
 * Decides whether a player may claim `goal` now, applying the rules in their contract order:
 * active row, not already claimed, completed, prerequisites done. Throws the matching AppError;
 * returns the claim period (one claim per goal and period) when the claim may proceed.
 * The caller has already checked that the goal exists in the challenge.
 */
export function decideClaim(
  goal: Goal,
  view: ProgressView,
  hasRow: boolean,
  statusOf: (goalId: string) => GoalStatus,
): { readonly period: string } {
  if (!hasRow || !view.isActive) throw goalNotActive(goal.goalId, goal.challengeId);
  if (view.status === 'claimed') throw goalAlreadyClaimed(goal.goalId, formatTimestamp(view.claimedAt));
  if (view.status !== 'completed') throw goalNotCompleted(goal.goalId, view.status);
  const missing = unmetPrerequisites(goal, statusOf);
  if (missing.length > 0) throw prerequisitesNotMet(goal.goalId, missing);
  return { period: view.period };
}
