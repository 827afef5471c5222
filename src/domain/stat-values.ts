/**
 * Goals that follow a stat: an `absolute` goal, measured absolutely and not rotating, shows the
 * player's latest value of its statistic (or the logins it counted) until it is claimed. Their
 * progress lives in one row per player and stat (`user_stat_values`), so an event writes that row
 * instead of one row per goal; a goal's own row is written when something else about it changes.
 * Logins are counted under the stat code `LOGIN_STAT`, which no statistic goal can have (a
 * statistic goal's stat code must not be empty), and a goal that counts them shows how far the
 * count got past where it was when the goal started counting (the row's `statBase`).
 *
 * The rule for which rows show their stat is SQL's `follows_stat` (sql/0014_stat_values.sql), the
 * one the `user_goal_progress_current` view and the other writers' trigger use; the event flush
 * applies it here, to the rows it reads.
 */
import { type EventProgress, type GoalEvent, MAX_PROGRESS } from './progress.ts';
import type { Challenge, Goal, GoalStatus } from './types.ts';

/** A player's latest value of one stat, as stored. */
export interface StatValue {
  readonly value: number;
  readonly lastEventAt: Date;
  /** Grows with every change of the value (a PostgreSQL bigint). */
  readonly seq: bigint;
}

/** A stat's value and the time of the newest event in it. */
export type StatState = Pick<StatValue, 'value' | 'lastEventAt'>;

/** What a goal row stores about the stat it follows. */
export interface StatMark {
  readonly isActive: boolean;
  /** The stat the row follows; null for a row that stores its own progress. */
  readonly statCode: string | null;
  /** The stat's `seq` the stored state already includes. */
  readonly statSeen: bigint;
  /** How far the stat's value is ahead of the row's progress while it follows. */
  readonly statBase: number;
}

/** The stat code a player's login count is kept under. */
export const LOGIN_STAT = '';

/**
 * The stat the goal's progress is (its statistic's latest value, or the logins counted), or
 * undefined for a goal whose rows keep progress of their own.
 */
export function followedStat(goal: Goal): string | undefined {
  if (goal.type !== 'absolute' || goal.progressMode !== 'absolute' || goal.rotation !== null)
    return undefined;
  return goal.eventSource === 'login' ? LOGIN_STAT : goal.requirement.statCode;
}

export const followsStat = (goal: Goal): boolean => followedStat(goal) !== undefined;

/** Every goal of the configuration that follows a stat, with that stat. */
export function followedStats(
  challenges: readonly Challenge[],
): Array<{ readonly goalId: string; readonly statCode: string }> {
  return challenges
    .flatMap((challenge) => challenge.goals)
    .flatMap((goal) => {
      const statCode = followedStat(goal);
      return statCode === undefined ? [] : [{ goalId: goal.goalId, statCode }];
    });
}

/**
 * The goals that followed a stat under `previous` and follow none, or another, under `next`: the
 * only ones whose rows a new configuration must release (db/stat-values.ts `releaseUnfollowedRows`).
 */
export function goalsNoLongerFollowing(
  previous: ReturnType<typeof followedStats>,
  next: ReturnType<typeof followedStats>,
): string[] {
  const followedNext = new Map(next.map((goal) => [goal.goalId, goal.statCode]));
  return previous
    .filter((goal) => followedNext.get(goal.goalId) !== goal.statCode)
    .map((goal) => goal.goalId);
}

/**
 * The stat after one event at `at`, or undefined when the event changes nothing: the same rules as
 * an absolute goal's own (domain/progress.ts). A login counts one, whenever it happened. A
 * statistic's negative and non-finite values are ignored, an event older than the newest applied
 * changes nothing, and an unchanged value is not written.
 */
export function applyStatEvent(
  stat: StatState | undefined,
  event: GoalEvent,
  at: Date,
): StatState | undefined {
  if (event.source === 'login') {
    const lastEventAt = stat && stat.lastEventAt.getTime() > at.getTime() ? stat.lastEventAt : at;
    return { value: Math.min((stat?.value ?? 0) + 1, MAX_PROGRESS), lastEventAt };
  }
  if (!Number.isFinite(event.value) || event.value < 0) return undefined;
  const latest = Math.min(Math.trunc(event.value), MAX_PROGRESS);
  if (stat && at.getTime() < stat.lastEventAt.getTime()) return undefined;
  if (stat && latest === stat.value) return undefined;
  return { value: latest, lastEventAt: at };
}

/** Whether a stored row shows `stat` rather than what it stores. */
export function showsStat(
  row: StatMark & { readonly status: GoalStatus },
  stat: StatValue | undefined,
): boolean {
  return (
    row.statCode !== null &&
    stat !== undefined &&
    row.isActive &&
    row.status !== 'claimed' &&
    stat.seq > row.statSeen
  );
}

/** The state a row following its stat shows: the progress and time of the stat, the status they imply. */
export function withStat<T extends EventProgress & StatMark>(row: T, stat: StatState): T {
  const progress = stat.value - row.statBase;
  return {
    ...row,
    progress,
    status: row.status === 'completed' ? 'completed' : progress > 0 ? 'in_progress' : 'not_started',
    lastEventAt: stat.lastEventAt,
  };
}

/** What a stored row shows, given its stat. */
export function shownState<T extends EventProgress & StatMark>(row: T, stat: StatValue | undefined): T {
  return stat && showsStat(row, stat) ? withStat(row, stat) : row;
}
