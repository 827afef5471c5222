/**
 * The per-player audit trail: for every event received, what it did to each goal it matched, or
 * why it changed nothing; and every change an admin made. It answers a support question such as
 * "I killed 10 snowmen and it didn't count" with the event, the goals, and the reason.
 */
import type { UnchangedReason } from './progress.ts';
import type { GoalStatus } from './types.ts';

/** Why an event changed nothing for the player at all, before any goal was looked at. */
export type EventUnchangedReason =
  /** The event belongs to another namespace than AB_NAMESPACE. */
  | 'other_namespace'
  /** No goal counts this stat code (or, for a login, no goal counts logins). */
  | 'no_goal_for_stat_code'
  /** An event with this id was already applied; a redelivery is acknowledged, not applied again. */
  | 'duplicate_event_id';

/** Why a goal the event matched did not move. */
export type GoalUnchangedReason =
  /** The player has no row for the goal: never assigned (or erased). */
  | 'goal_not_assigned'
  /** The player's row is deactivated. */
  | 'goal_inactive'
  | UnchangedReason;

export const EVENT_UNCHANGED_REASONS: readonly EventUnchangedReason[] = [
  'other_namespace',
  'no_goal_for_stat_code',
  'duplicate_event_id',
];

export const GOAL_UNCHANGED_REASONS: readonly GoalUnchangedReason[] = [
  'goal_not_assigned',
  'goal_inactive',
  'already_completed',
  'already_claimed',
  'already_counted_today',
  'rotated_period',
  'older_event',
  'negative_value_ignored',
  'value_unchanged',
];

export interface ProgressPoint {
  readonly progress: number;
  readonly status: GoalStatus;
}

/** What one entry did to one goal. */
export type GoalEffect =
  | {
      readonly goalId: string;
      readonly result: 'changed';
      readonly from: ProgressPoint;
      readonly to: ProgressPoint;
    }
  | { readonly goalId: string; readonly result: 'unchanged'; readonly reason: GoalUnchangedReason };

/** What an admin did; reads are recorded too, so the trail shows who looked at a player's data. */
export type AdminAction = 'view_challenges' | 'view_events' | 'set_progress' | 'reset' | 'complete' | 'claim';

export const ADMIN_ACTIONS: readonly AdminAction[] = [
  'view_challenges',
  'view_events',
  'set_progress',
  'reset',
  'complete',
  'claim',
];

interface EntryBase {
  readonly userId: string;
  /** When the entry was recorded: the commit of the flush or of the admin's change. */
  readonly recordedAt: Date;
  readonly goals: readonly GoalEffect[];
}

/** One event as received, and what it did. */
export interface EventEntry extends EntryBase {
  readonly kind: 'login' | 'statistic';
  /** The platform's event id; null when the event carried none. */
  readonly eventId: string | null;
  readonly statCode?: string;
  readonly value?: number;
  /** When the event happened (its own timestamp, else when it was received). */
  readonly occurredAt: Date;
  /** Set when the event changed nothing for the player; `goals` is then empty. */
  readonly reason?: EventUnchangedReason;
  /** The event's namespace, for `other_namespace`. */
  readonly namespace?: string;
  /**
   * The stored configuration (src/live-config/) the flush applied. When set, `goals` leaves out
   * the goals the event matched that the player had no row for; `withUnassignedGoals` puts them
   * back. A player typically has a few of the many goals a stat counts, and listing every other
   * one in every event's record would make the record most of what an event writes.
   */
  readonly configId?: number;
}

export interface AdminEntry extends EntryBase {
  readonly kind: 'admin';
  readonly action: AdminAction;
  /** The admin's user id (the token's `sub`). */
  readonly adminUserId: string;
}

export type AuditEntry = EventEntry | AdminEntry;

/**
 * The entry with the goals it matched but the player had no row for, as `goal_not_assigned`, after
 * the ones it lists; `matching` names the goals the event matched under the entry's configuration.
 */
export function withUnassignedGoals(entry: EventEntry, matching: readonly string[]): EventEntry {
  if (entry.reason !== undefined) return entry;
  const listed = new Set(entry.goals.map((effect) => effect.goalId));
  const unassigned = matching
    .filter((goalId) => !listed.has(goalId))
    .map((goalId): GoalEffect => ({ goalId, result: 'unchanged', reason: 'goal_not_assigned' }));
  return unassigned.length === 0 ? entry : { ...entry, goals: [...entry.goals, ...unassigned] };
}

/** Whether an entry concerns a goal: it changed it, or says why it did not. */
export const touchesGoal = (entry: AuditEntry, goalId: string): boolean =>
  entry.goals.some((effect) => effect.goalId === goalId);
