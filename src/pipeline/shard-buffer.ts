/**
 * One shard's write-behind buffer with group commit.
 *
 * Events wait in `pending` until the shard's single flusher takes them. A flush starts as soon as
 * the previous one finished (so at low load each event waits for one flush, and under load batches
 * grow by themselves up to `maxBatch`), optionally after `minWaitMs` to gather more. An event is
 * acknowledged only after the transaction containing it committed.
 *
 * Failure handling keeps memory bounded and never acknowledges what was not stored:
 * - a full backlog rejects new events at once (RESOURCE_EXHAUSTED; the platform redelivers later);
 * - while the database fails, the batch stays at the head of the queue and is retried with backoff;
 *   events that have waited longer than `maxWaitMs` are failed (UNAVAILABLE) and dropped from memory,
 *   unacknowledged, so the platform redelivers them.
 * Only this shard touches its users' buffered events, so no locks are needed.
 */
import type { ErrorCode } from '../domain/errors.ts';
import type { BatchResult } from './apply-events.ts';
import type { PipelineEvent } from './pipeline-event.ts';

export interface ShardBufferOptions {
  readonly apply: (events: readonly PipelineEvent[]) => Promise<BatchResult>;
  readonly maxBatch: number;
  readonly minWaitMs: number;
  readonly maxBacklog: number;
  /** Longest an event may wait for the database before it is failed with UNAVAILABLE. */
  readonly maxWaitMs: number;
  readonly onAcks: (
    ok: readonly number[],
    failed: ReadonlyArray<{ seq: number; code: ErrorCode; message: string }>,
  ) => void;
  readonly onFlush?: (result: BatchResult, batchSize: number, seconds: number) => void;
  readonly onFlushError?: (error: unknown, attempt: number) => void;
  readonly now?: () => number;
}

export interface ShardBuffer {
  accept(events: readonly PipelineEvent[]): void;
  backlog(): number;
  /** Resolves once every accepted event has been acknowledged or failed. */
  drain(): Promise<void>;
}

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 1_000;

export function createShardBuffer(options: ShardBufferOptions): ShardBuffer {
  const now = options.now ?? Date.now;
  const pending: PipelineEvent[] = [];
  let flushing = false;
  let attempt = 0;
  let drainWaiters: Array<() => void> = [];

  const settleDrain = () => {
    if (pending.length > 0 || flushing) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const resolve of waiters) resolve();
  };

  /** Answers events with an error: they were not stored and stay unacknowledged for redelivery. */
  const fail = (events: readonly PipelineEvent[], code: ErrorCode, message: string) => {
    if (events.length === 0) return;
    options.onAcks(
      [],
      events.map((event) => ({ seq: event.seq, code, message })),
    );
  };

  const failExpired = () => {
    const deadline = now() - options.maxWaitMs;
    const expired: PipelineEvent[] = [];
    for (let i = pending.length - 1; i >= 0; i--) {
      const event = pending[i];
      if (event && event.receivedAt < deadline) {
        expired.push(event);
        pending.splice(i, 1);
      }
    }
    fail(expired, 'UNAVAILABLE', 'database unavailable: the event was not stored; redeliver it');
  };

  const flush = async () => {
    if (options.minWaitMs > 0 && pending.length < options.maxBatch) await Bun.sleep(options.minWaitMs);
    const batch = pending.splice(0, options.maxBatch);
    const started = performance.now();
    try {
      const result = await options.apply(batch);
      attempt = 0;
      options.onAcks(
        batch.map((event) => event.seq),
        [],
      );
      options.onFlush?.(result, batch.length, (performance.now() - started) / 1000);
    } catch (error) {
      attempt++;
      options.onFlushError?.(error, attempt);
      pending.unshift(...batch);
      failExpired();
      await Bun.sleep(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (attempt - 1)));
    }
  };

  const schedule = () => {
    if (flushing || pending.length === 0) return settleDrain();
    flushing = true;
    void flush().finally(() => {
      flushing = false;
      schedule();
    });
  };

  return {
    accept(events) {
      const rejected: PipelineEvent[] = [];
      for (const event of events) {
        if (pending.length >= options.maxBacklog) rejected.push(event);
        else pending.push(event);
      }
      fail(rejected, 'RESOURCE_EXHAUSTED', 'event backlog is full: retry later');
      schedule();
    },
    backlog: () => pending.length,
    drain() {
      return new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        settleDrain();
      });
    },
  };
}
