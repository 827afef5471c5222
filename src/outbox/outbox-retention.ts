/**
 * Deletes outbox messages older than OUTBOX_RETENTION_HOURS in the background, in bounded batches
 * with a pause between them, so the table does not grow without end. While delivery is on
 * (src/outbox/delivery-setting.ts) only messages a webhook has received (or that were parked)
 * go; otherwise all of them. The live stream resumes from the outbox, so the retention is also how
 * far back it can resume.
 */

import { deleteInBatches, runPeriodically } from '../batched-cleanup.ts';
import type { Db } from '../db/client.ts';
import { deleteExpiredMessages } from '../db/outbox-retention.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';

export interface OutboxRetentionOptions {
  readonly db: Db;
  readonly retentionMs: number;
  readonly intervalMs: number;
  readonly batchSize?: number;
  /** Bounds one cycle's work; what is left waits for the next cycle. */
  readonly maxBatchesPerCycle?: number;
  readonly pauseMs?: number;
  readonly metrics: Pick<Metrics, 'outboxDeleted'>;
  readonly logger: Logger;
  readonly clock?: () => Date;
}

export function startOutboxRetention(options: OutboxRetentionOptions): {
  stop(): void;
  runOnce(): Promise<number>;
} {
  const clock = options.clock ?? (() => new Date());
  const batchSize = options.batchSize ?? 5_000;
  const maxBatches = options.maxBatchesPerCycle ?? 100;
  const pauseMs = options.pauseMs ?? 50;
  let running = false;
  let failing = false;

  const runOnce = async () => {
    if (running) return 0;
    running = true;
    let deleted = 0;
    try {
      const olderThan = new Date(clock().getTime() - options.retentionMs);
      deleted = await deleteInBatches({
        deleteBatch: (limit) => deleteExpiredMessages(options.db, { olderThan, limit }),
        batchSize,
        maxBatches,
        pauseMs,
        stopped: () => timers.isStopped(),
        onBatch: (count) => options.metrics.outboxDeleted.inc(count),
      });
      if (failing) options.logger.info('outbox retention works again');
      failing = false;
    } catch (error) {
      if (!failing) options.logger.warn({ err: error }, 'outbox retention failed; retrying next interval');
      failing = true;
    } finally {
      running = false;
    }
    return deleted;
  };
  // A first cycle soon after start, so a service restarted more often than the interval cleans up too.
  const timers = runPeriodically({
    intervalMs: options.intervalMs,
    firstRunAfterMs: Math.min(options.intervalMs, 60_000),
    run: runOnce,
  });
  return { stop: timers.stop, runOnce };
}
