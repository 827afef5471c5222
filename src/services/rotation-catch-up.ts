/**
 * /initialize for a returning player persists the rotation periods that passed since the player's
 * rows were last written: each active row of a rotating goal whose period changed is written as
 * rolled over (domain/rollover.ts), in one statement. The answer shows the rows as rolled over
 * whether or not a write was needed; nothing is written when no period changed.
 */
import type { ChangeNotices } from '../db/change-notices.ts';
import type { Db } from '../db/client.ts';
import { getUserProgress } from '../db/progress-rows.ts';
import { type RolledOverRow, type VersionedRow, writeRolledOverRows } from '../db/rotation-rows.ts';
import type { Catalog } from '../domain/catalog.ts';
import { rollover } from '../domain/rollover.ts';
import { nextPeriodStart } from '../domain/rotation.ts';
import type { ProgressRow } from '../domain/types.ts';

/**
 * The player's rows as of `now`. When another writer changed a row between the read and the write
 * (its guard is the row version), the rows are read again: that writer's state is what stands, and
 * every reader applies the rollover to it. A row rolled over is an outbox message (a reset), which
 * `notices` announces.
 */
export async function catchUpRotations(
  db: Db,
  notices: ChangeNotices,
  catalog: Catalog,
  userId: string,
  rows: readonly VersionedRow[],
  now: Date,
): Promise<ProgressRow[]> {
  const rolled: RolledOverRow[] = [];
  const current = rows.map((row): ProgressRow => {
    const goal = catalog.goalById.get(row.goalId);
    if (!goal?.rotation || !row.isActive) return row;
    const next = rollover(goal, row, now);
    if (next === row || next.periodStart === null) return row;
    rolled.push({
      goalId: row.goalId,
      version: row.version,
      progress: next.progress,
      status: next.status,
      baselineValue: next.baselineValue,
      completedAt: next.completedAt,
      claimedAt: next.claimedAt,
      periodStart: next.periodStart,
      expiresAt: nextPeriodStart(goal.rotation.schedule, now),
    });
    return next;
  });
  if (rolled.length === 0) return current;
  const written = await writeRolledOverRows(db, userId, rolled, now);
  if (written > 0) notices.outboxChanged([userId]);
  return written === rolled.length ? current : getUserProgress(db, userId);
}
