/**
 * What the background deletions (expired progress rows, old event rows, old outbox messages) have
 * in common: they delete in bounded batches, so no statement holds locks or WAL for long, and they
 * run on a timer that does not keep the process alive.
 */

export interface BatchedDeletion {
  /** Deletes at most `limit` rows; resolves with how many it deleted. */
  readonly deleteBatch: (limit: number) => Promise<number>;
  readonly batchSize: number;
  /** Batches per run at most (the rest waits for the next run). */
  readonly maxBatches: number;
  /** A pause between batches, leaving the database to the service's own work. */
  readonly pauseMs: number;
  /** Checked before each batch: the service is shutting down. */
  readonly stopped?: () => boolean;
  readonly onBatch?: (deleted: number) => void;
}

/** Deletes batch after batch until one comes back short; resolves with the total. */
export async function deleteInBatches(deletion: BatchedDeletion): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < deletion.maxBatches && !deletion.stopped?.(); batch++) {
    if (batch > 0 && deletion.pauseMs > 0) await Bun.sleep(deletion.pauseMs);
    const deleted = await deletion.deleteBatch(deletion.batchSize);
    total += deleted;
    deletion.onBatch?.(deleted);
    if (deleted < deletion.batchSize) break;
  }
  return total;
}

/**
 * Runs `run` every `intervalMs`, and once `firstRunAfterMs` after start when given; `isStopped` tells
 * a run in progress to end early.
 */
export function runPeriodically(options: {
  readonly intervalMs: number;
  readonly firstRunAfterMs?: number | undefined;
  readonly run: () => Promise<unknown>;
}): { stop(): void; isStopped(): boolean } {
  let stopped = false;
  const timer = setInterval(() => void options.run(), options.intervalMs);
  timer.unref?.();
  const first =
    options.firstRunAfterMs === undefined
      ? undefined
      : setTimeout(() => void options.run(), options.firstRunAfterMs);
  first?.unref?.();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      clearTimeout(first);
    },
    isStopped: () => stopped,
  };
}
