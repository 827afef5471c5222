/**
 * What flows outward when a player's goal changes in a way that matters outside: webhooks to game
 * backends and the live stream to game clients. Messages are written by the database in the
 * transaction of the change (sql/0009_outbox.sql), so one exists if and only if its change
 * committed.
 */
import { formatTimestamp } from './time.ts';
import type { GoalStatus } from './types.ts';

export const OUTBOX_MESSAGE_TYPES = [
  'goal.completed',
  'goal.claimed',
  'goal.reset',
  'goal.assigned',
  'goal.unassigned',
] as const;
export type OutboxMessageType = (typeof OUTBOX_MESSAGE_TYPES)[number];

export interface OutboxMessage {
  /** Stable across deliveries and replicas: the idempotency key of a webhook, the id of a stream event. */
  readonly id: string;
  readonly type: OutboxMessageType;
  readonly occurredAt: Date;
  readonly namespace: string;
  readonly userId: string;
  readonly challengeId: string;
  readonly goalId: string;
  /** The goal's stored progress and status right after the change. */
  readonly progress: number;
  readonly status: GoalStatus;
}

/** A message as JSON (webhook bodies, the admin API): its fields, `occurredAt` in RFC 3339. */
export type OutboxMessageJson = Omit<OutboxMessage, 'occurredAt'> & { readonly occurredAt: string };

export const outboxMessageJson = (message: OutboxMessage): OutboxMessageJson => ({
  id: message.id,
  type: message.type,
  occurredAt: formatTimestamp(message.occurredAt),
  namespace: message.namespace,
  userId: message.userId,
  challengeId: message.challengeId,
  goalId: message.goalId,
  progress: message.progress,
  status: message.status,
});

/** The fields of a goal's row that decide whether its change is recorded in the outbox. */
export interface RecordedFields {
  readonly isActive: boolean;
  readonly status: GoalStatus;
  readonly completedAt: Date | null;
  readonly periodStart: string | null;
}

/**
 * The message the outbox records for a change of a goal's row, or undefined for a change it does
 * not record (progress that only moved). The database decides (`outbox_change_type`,
 * sql/0015_outbox_update_statement.sql); writers ask here which of their changes it will leave
 * unrecorded, to name those in a progress notice. `newEarning`: the write starts a new earning of
 * the goal (an admin's reset gives the row a new `row_id`).
 */
export function outboxMessageTypeOf(
  before: RecordedFields,
  after: RecordedFields,
  newEarning = false,
): OutboxMessageType | undefined {
  if (before.isActive && !after.isActive) return 'goal.unassigned';
  if (!before.isActive && after.isActive) return 'goal.assigned';
  if (after.status === 'claimed' && before.status !== 'claimed') return 'goal.claimed';
  if (after.status === 'completed' && before.completedAt?.getTime() !== after.completedAt?.getTime())
    return 'goal.completed';
  if (
    after.status === 'not_started' &&
    (before.status === 'completed' ||
      before.status === 'claimed' ||
      before.periodStart !== after.periodStart ||
      newEarning)
  )
    return 'goal.reset';
  return undefined;
}
