/**
 * Deletes outbox messages older than OUTBOX_RETENTION_HOURS in the background, in bounded batches
 * with a pause between them, so the table does not grow without end. With a webhook configured
 * only messages it has received (or that were parked) go; without one, all of them. The live
 * stream resumes from the outbox, so the retention is also how far back it can resume.
 */
import type { Db } from '../db/client.ts';
import { deleteExpiredMessages } from '../db/outbox-retention.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';

export interface OutboxRetentionOptions {
  readonly db: Db;
  readonly retentionMs: number;
  /** A webhook is configured: messages it has not received are kept. */
  readonly keepUndelivered: boolean;
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
  let stopped = false;
  let failing = false;

  const runOnce = async () => {
    if (running) return 0;
    running = true;
    let deleted = 0;
    try {
      const olderThan = new Date(clock().getTime() - options.retentionMs);
      for (let batch = 0; batch < maxBatches && !stopped; batch++) {
        if (batch > 0 && pauseMs > 0) await Bun.sleep(pauseMs);
        const count = await deleteExpiredMessages(options.db, {
          olderThan,
          keepUndelivered: options.keepUndelivered,
          limit: batchSize,
        });
        deleted += count;
        options.metrics.outboxDeleted.inc(count);
        if (count < batchSize) break;
      }
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
  const timer = setInterval(() => void runOnce(), options.intervalMs);
  timer.unref?.();
  // A first cycle soon after start, so a service restarted more often than the interval cleans up too.
  const first = setTimeout(() => void runOnce(), Math.min(options.intervalMs, 60_000));
  first.unref?.();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      clearTimeout(first);
    },
    runOnce,
  };
}
