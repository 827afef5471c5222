/**
 * Deletes disposable rows of rotating goals whose period ended more than the retention ago
 * (domain/expired-rows.ts says which), in bounded batches, in the background.
 *
 * Each batch is one short statement that the pool's statement and lock timeouts bound while the
 * database answers, with a pause between batches so the API and the event flush keep their share.
 * A database that does not answer at all leaves a cycle waiting on one connection: later ticks
 * then skip (counted as errors) instead of stacking statements onto the pool, and the cleanup
 * resumes by itself when that statement settles. A failure is logged once until a cycle succeeds.
 */

import { deleteInBatches, runPeriodically } from '../batched-cleanup.ts';
import type { Db } from '../db/client.ts';
import { deleteExpiredProgress } from '../db/expired-progress.ts';
import { type CurrentCatalog, perCatalog } from '../domain/catalog.ts';
import { disposableGoals } from '../domain/expired-rows.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';

export interface CleanupCycle {
  readonly rowsDeleted: number;
  /** `skipped`: the previous cycle was still waiting on the database. */
  readonly outcome: 'done' | 'failed' | 'skipped';
}

export interface ExpiredRowCleanupOptions {
  readonly db: Db;
  readonly catalog: CurrentCatalog;
  readonly namespace: string;
  readonly retentionMs: number;
  readonly intervalMs: number;
  /**
   * When set, a first cycle runs this long after start, so a service restarted more often than
   * `intervalMs` still cleans up.
   */
  readonly firstRunAfterMs?: number;
  readonly batchSize: number;
  /** Bounds one cycle's work; what is left waits for the next cycle. */
  readonly maxBatchesPerCycle?: number;
  readonly pauseMs?: number;
  readonly metrics: Pick<
    Metrics,
    'cleanupRowsDeleted' | 'cleanupCycles' | 'cleanupErrors' | 'cleanupDuration'
  >;
  readonly logger: Logger;
  readonly clock?: () => Date;
}

export function startExpiredRowCleanup(options: ExpiredRowCleanupOptions): {
  stop(): void;
  runOnce(): Promise<CleanupCycle>;
} {
  const { metrics, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const maxBatches = options.maxBatchesPerCycle ?? 100;
  const pauseMs = options.pauseMs ?? 50;
  const goalsOf = perCatalog(disposableGoals);
  let running = false;
  let failing = false;
  let stallLogged = false;

  const cycle = async (): Promise<CleanupCycle> => {
    const endedBefore = new Date(clock().getTime() - options.retentionMs);
    const goals = goalsOf(options.catalog());
    let rowsDeleted = 0;
    try {
      await deleteInBatches({
        deleteBatch: (limit) =>
          deleteExpiredProgress(options.db, { namespace: options.namespace, endedBefore, goals, limit }),
        batchSize: options.batchSize,
        maxBatches,
        pauseMs,
        stopped: () => timers.isStopped(),
        onBatch: (deleted) => {
          rowsDeleted += deleted;
          metrics.cleanupRowsDeleted.inc(deleted);
        },
      });
      if (failing) logger.info({ rowsDeleted }, 'expired-row cleanup works again');
      failing = false;
      return { rowsDeleted, outcome: 'done' };
    } catch (error) {
      metrics.cleanupErrors.inc();
      if (!failing)
        logger.warn({ err: error, rowsDeleted }, 'expired-row cleanup failed; retrying next cycle');
      failing = true;
      return { rowsDeleted, outcome: 'failed' };
    }
  };

  const runOnce = async (): Promise<CleanupCycle> => {
    if (running) {
      metrics.cleanupErrors.inc();
      if (!stallLogged) {
        logger.warn('expired-row cleanup: the previous cycle is still waiting on the database; skipping');
        stallLogged = true;
      }
      return { rowsDeleted: 0, outcome: 'skipped' };
    }
    running = true;
    stallLogged = false;
    const stopTimer = metrics.cleanupDuration.startTimer();
    try {
      return await cycle();
    } finally {
      stopTimer();
      metrics.cleanupCycles.inc();
      running = false;
    }
  };

  const timers = runPeriodically({
    intervalMs: options.intervalMs,
    firstRunAfterMs: options.firstRunAfterMs,
    run: runOnce,
  });
  return { stop: timers.stop, runOnce };
}
