/**
 * Admin entries of the audit trail. Every admin call writes one, naming the admin: a change in the
 * transaction of the change itself (it commits with the change or not at all), a read right after
 * it (a read whose entry cannot be written is answered with the error, never with the data).
 *
 * Admin entries are written whatever AUDIT_ENABLED says: that setting spares the event flush the
 * per-event record, and an admin's change should always be accountable. They live in
 * processed_events like event entries and expire with them.
 */
import type { Db } from '../../db/client.ts';
import { writeAuditRows } from '../../db/event-audit.ts';
import type { AdminAction, GoalEffect } from '../../domain/audit.ts';
import type { ProgressView } from '../../domain/progress-view.ts';

export async function writeAdminEntry(
  db: Db,
  entry: {
    readonly adminUserId: string;
    readonly userId: string;
    readonly action: AdminAction;
    readonly goals: readonly GoalEffect[];
    readonly now: Date;
  },
): Promise<void> {
  const { adminUserId, userId, action, goals, now } = entry;
  await writeAuditRows(
    db,
    [
      {
        entry: { kind: 'admin', userId, recordedAt: now, action, adminUserId, goals },
        keyedByEventId: false,
      },
    ],
    now,
    { claimed: false },
  );
}

/** The effect of a change on one goal, from and to what the player sees. */
export const changedEffect = (goalId: string, from: ProgressView, to: ProgressView): GoalEffect => ({
  goalId,
  result: 'changed',
  from: { progress: from.progress, status: from.status },
  to: { progress: to.progress, status: to.status },
});
