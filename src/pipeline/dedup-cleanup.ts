/**
 * Deletes processed event rows older than the retention window, in bounded batches, in the
 * background. The rows carry both the dedup ids and the audit trail.
 */

import { deleteInBatches, runPeriodically } from '../batched-cleanup.ts';
import type { Db } from '../db/client.ts';
import { deleteExpiredEventIds } from '../db/event-progress.ts';
import type { Logger } from '../log.ts';

const BATCH = 10_000;
/**
 * A cycle deletes at most this many batches (a million rows, more than a minute of events at any
 * rate this service takes), with a pause between them, so a backlog (a shorter retention, an
 * outage) drains over a few cycles beside the flush's inserts instead of in one burst.
 */
const MAX_BATCHES_PER_CYCLE = 100;
const PAUSE_MS = 50;

/** How long event rows are kept: as long as the longer of dedup and (when on) the audit needs them. */
export function eventRowRetentionMs(settings: {
  readonly dedupRetentionHours: number;
  readonly audit: { readonly enabled: boolean; readonly retentionDays: number };
}): number {
  const dedup = settings.dedupRetentionHours * 3_600_000;
  return settings.audit.enabled ? Math.max(dedup, settings.audit.retentionDays * 86_400_000) : dedup;
}

export function startDedupCleanup(options: {
  db: Db;
  retentionMs: number;
  intervalMs: number;
  logger: Logger;
  clock?: () => Date;
}): { stop(): void; runOnce(): Promise<number> } {
  const clock = options.clock ?? (() => new Date());
  let running = false;
  const runOnce = async () => {
    if (running) return 0;
    running = true;
    let total = 0;
    try {
      const cutoff = new Date(clock().getTime() - options.retentionMs);
      total = await deleteInBatches({
        deleteBatch: (limit) => deleteExpiredEventIds(options.db, cutoff, limit),
        batchSize: BATCH,
        maxBatches: MAX_BATCHES_PER_CYCLE,
        pauseMs: PAUSE_MS,
        stopped: () => timers.isStopped(),
      });
    } catch (error) {
      options.logger.warn({ err: error }, 'processed event id cleanup failed; retrying next interval');
    } finally {
      running = false;
    }
    return total;
  };
  const timers = runPeriodically({ intervalMs: options.intervalMs, run: runOnce });
  return { stop: timers.stop, runOnce };
}
