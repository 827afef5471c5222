/**
 * Goals that follow a stat: an `absolute` goal of a statistic, measured absolutely and not
 * rotating, shows the player's latest value of its stat until it is claimed. Their progress lives
 * in one row per player and stat (`user_stat_values`), so an event writes that row instead of one
 * row per goal; a goal's own row is written when something else about it changes.
 *
 * The rule for which rows show their stat is SQL's `follows_stat` (sql/0014_stat_values.sql), the
 * one the `user_goal_progress_current` view and the other writers' trigger use; the event flush
 * applies it here, to the rows it reads.
 */
import { type EventProgress, MAX_PROGRESS } from './progress.ts';
import type { Challenge, Goal, GoalStatus } from './types.ts';

/** A player's latest value of one stat, as stored. */
export interface StatValue {
  readonly value: number;
  readonly lastEventAt: Date;
  /** Grows with every change of the value (a PostgreSQL bigint). */
  readonly seq: bigint;
}

/** What a goal row stores about the stat it follows. */
export interface StatMark {
  readonly isActive: boolean;
  /** The stat the row follows; null for a row that stores its own progress. */
  readonly statCode: string | null;
  /** The stat's `seq` the stored state already includes. */
  readonly statSeen: bigint;
}

/** Whether the goal's progress is its stat's latest value: what lets its rows follow the stat. */
export function followsStat(goal: Goal): boolean {
  return (
    goal.type === 'absolute' &&
    goal.eventSource === 'statistic' &&
    goal.progressMode === 'absolute' &&
    goal.rotation === null
  );
}

/** Every goal of the configuration that follows its stat, with that stat. */
export function followedStats(
  challenges: readonly Challenge[],
): Array<{ readonly goalId: string; readonly statCode: string }> {
  return challenges
    .flatMap((challenge) => challenge.goals)
    .filter(followsStat)
    .map((goal) => ({ goalId: goal.goalId, statCode: goal.requirement.statCode }));
}

/**
 * The stat after one event at `at`, or undefined when the event changes nothing: the same rules as
 * an absolute goal's own (domain/progress.ts): negative and non-finite values are ignored, an event
 * older than the newest applied changes nothing, and an unchanged value is not written.
 */
export function applyStatEvent(
  stat: Pick<StatValue, 'value' | 'lastEventAt'> | undefined,
  value: number,
  at: Date,
): Pick<StatValue, 'value' | 'lastEventAt'> | undefined {
  if (!Number.isFinite(value) || value < 0) return undefined;
  const latest = Math.min(Math.trunc(value), MAX_PROGRESS);
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

/** The state a row following its stat shows: the stat's value and time, the status they imply. */
export function withStat<T extends EventProgress>(row: T, stat: Pick<StatValue, 'value' | 'lastEventAt'>): T {
  return {
    ...row,
    progress: stat.value,
    status: row.status === 'completed' ? 'completed' : stat.value > 0 ? 'in_progress' : 'not_started',
    lastEventAt: stat.lastEventAt,
  };
}

/** What a stored row shows, given its stat. */
export function shownState<T extends EventProgress & StatMark>(row: T, stat: StatValue | undefined): T {
  return stat && showsStat(row, stat) ? withStat(row, stat) : row;
}
