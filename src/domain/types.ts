/** The challenge configuration model and the per-player progress vocabulary shared by every layer. */
import type { EventProgress } from './progress.ts';

export const EVENT_SOURCES = ['login', 'statistic'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/**
 * How events move a goal's progress:
 * - `absolute`: progress follows the stat's value (login goals count logins), see `progressMode`;
 * - `increment`: +1 per matching event, at most once per UTC day when `daily` is set;
 * - `daily`: the first matching event of a UTC day completes the goal; it reopens at 00:00 UTC.
 */
export const GOAL_TYPES = ['absolute', 'increment', 'daily'] as const;
export type GoalType = (typeof GOAL_TYPES)[number];

/**
 * For `absolute` goals, what the stat's value means:
 * - `absolute`: progress is the value itself;
 * - `relative`: progress is what the value gained since the goal's first event (or, for a rotating
 *   goal, since the current period began): value − baseline.
 */
export const PROGRESS_MODES = ['absolute', 'relative'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** Global rotation periods, in UTC: each day from 00:00, each week from Monday 00:00, each month from the 1st. */
export const ROTATION_SCHEDULES = ['daily', 'weekly', 'monthly'] as const;
export type RotationSchedule = (typeof ROTATION_SCHEDULES)[number];

/** What happens to a player's progress on a rotating goal when a new period begins. */
export interface Rotation {
  readonly schedule: RotationSchedule;
  /** The goal starts over each period; otherwise progress (and an unclaimed completion) carries over. */
  readonly resetProgress: boolean;
  /** A goal claimed in an earlier period can be earned and claimed again; otherwise it stays claimed. */
  readonly allowReselection: boolean;
}

export const REWARD_TYPES = ['ITEM', 'WALLET'] as const;
export type RewardType = (typeof REWARD_TYPES)[number];

export const GOAL_STATUSES = ['not_started', 'in_progress', 'completed', 'claimed'] as const;
export type GoalStatus = (typeof GOAL_STATUSES)[number];

export interface Requirement {
  readonly statCode: string;
  readonly operator: '>=';
  readonly targetValue: number;
}

export interface Reward {
  readonly type: RewardType;
  /** AGS item id for ITEM rewards, currency code for WALLET rewards. */
  readonly rewardId: string;
  readonly quantity: number;
}

export interface Goal {
  readonly goalId: string;
  /** Filled from the parent challenge; goal ids are unique across all challenges. */
  readonly challengeId: string;
  readonly name: string;
  readonly description: string;
  readonly type: GoalType;
  /** Only meaningful for `increment` goals: at most one increment per UTC day. */
  readonly daily: boolean;
  /** Only meaningful for `absolute` goals. */
  readonly progressMode: ProgressMode;
  /** Only for `relative` goals; null when the goal does not rotate. */
  readonly rotation: Rotation | null;
  readonly eventSource: EventSource;
  readonly defaultAssigned: boolean;
  readonly requirement: Requirement;
  readonly reward: Reward;
  readonly prerequisites: readonly string[];
}

export interface Challenge {
  readonly challengeId: string;
  readonly name: string;
  readonly description: string;
  readonly goals: readonly Goal[];
}

/**
 * A player's stored progress on one goal (a `user_goal_progress` row, read for that player), as
 * the domain sees it: what events change (minus the event-ordering time, which only the flush reads)
 * plus the assignment state. Timestamps are UTC instants.
 */
export interface ProgressState extends Omit<EventProgress, 'lastEventAt'> {
  readonly goalId: string;
  readonly isActive: boolean;
  readonly expiresAt: Date | null;
}

/** The stored progress with its assignment time, for answers that show it. */
export interface ProgressRow extends ProgressState {
  readonly assignedAt: Date | null;
}
