/** Deletes processed event ids older than the retention window, in bounded batches, in the background. */
import type { Db } from '../db/client.ts';
import { deleteExpiredEventIds } from '../db/event-progress.ts';
import type { Logger } from '../log.ts';

const BATCH = 10_000;

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
      for (;;) {
        const deleted = await deleteExpiredEventIds(options.db, cutoff, BATCH);
        total += deleted;
        if (deleted < BATCH) break;
      }
    } catch (error) {
      options.logger.warn({ err: error }, 'processed event id cleanup failed; retrying next interval');
    } finally {
      running = false;
    }
    return total;
  };
  const timer = setInterval(() => void runOnce(), options.intervalMs);
  timer.unref?.();
  return { stop: () => clearInterval(timer), runOnce };
}
