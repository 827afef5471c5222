/**
 * One shard's write-behind buffer with group commit.
 *
 * Events wait in `pending` until the shard's single flusher takes them. A flush starts as soon as
 * the previous one finished (so at low load each event waits for one flush, and under load batches
 * grow by themselves up to `maxBatch`), optionally after `minWaitMs` to gather more. An event is
 * acknowledged only after the transaction containing it committed.
 *
 * Failure handling keeps memory bounded, keeps one bad event from holding up the others, and never
 * acknowledges what was not stored:
 * - at most `maxBacklog` events are held, waiting or in flight; more are refused at once
 *   (RESOURCE_EXHAUSTED; the platform redelivers later);
 * - while the database is unavailable (refused, hung, timing out) the batch goes back to the head
 *   of the queue and is retried with backoff. A flush attempt that takes longer than
 *   `flushTimeoutMs` is abandoned (`onAbandon` discards its connection), so a database that stopped
 *   answering cannot hold the shard;
 * - every event is answered by `maxWaitMs` after it arrived: a sweep fails the ones that waited that
 *   long (UNAVAILABLE), also while their flush is still in flight, and drops them from memory. An
 *   abandoned flush may still commit later; the redelivery is then a duplicate, applied once by its id;
 * - a flush that fails for a reason that is not availability (data the database refuses) is split
 *   in halves until the failing events are found; only those are failed (INVALID_ARGUMENT or
 *   INTERNAL), and the rest are applied.
 * Only this shard touches its users' buffered events, so no locks are needed.
 */
import { isDatabaseUnavailable, isLockNotAvailable, rejectionCode } from '../db/db-errors.ts';
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
  /** Longest one flush attempt may run before it is abandoned and retried. */
  readonly flushTimeoutMs: number;
  readonly onAcks: (
    ok: readonly number[],
    failed: ReadonlyArray<{ seq: number; code: ErrorCode; message: string }>,
  ) => void;
  readonly onFlush?: (result: BatchResult, batchSize: number, seconds: number) => void;
  /** Once per failed flush attempt. */
  readonly onFlushError?: (error: unknown, failure: FlushFailure) => void;
  /** A flush attempt ran past `flushTimeoutMs`: its connection must not be used again. */
  readonly onAbandon?: () => void;
  /** The first flush that succeeded after `failedAttempts` consecutive unavailable ones. */
  readonly onRecovered?: (failedAttempts: number) => void;
  readonly now?: () => number;
}

export type FlushFailure =
  /** The database is unavailable; the events wait and are retried (`attempt` counts in a row). */
  | { readonly kind: 'unavailable'; readonly attempt: number; readonly batchSize: number }
  /** The batch fails for a reason that is not availability; it is split to find the cause. */
  | { readonly kind: 'split'; readonly batchSize: number }
  /** This event alone fails; it is answered with `code` and not retried. */
  | { readonly kind: 'rejected'; readonly event: PipelineEvent; readonly code: ErrorCode }
  /** This event waited past the lock timeout for a row another session holds; answered UNAVAILABLE. */
  | { readonly kind: 'locked'; readonly event: PipelineEvent };

export interface ShardBuffer {
  accept(events: readonly PipelineEvent[]): void;
  /** Events held: waiting and in flight. */
  backlog(): number;
  /** Resolves once every accepted event has been acknowledged or failed. */
  drain(): Promise<void>;
  /** Stops the expiry sweep; call after `drain`. */
  close(): void;
}

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 1_000;
const UNAVAILABLE_MESSAGE = 'database unavailable: the event was not stored; redeliver it';
const LOCKED_MESSAGE =
  "another transaction holds this player's progress locked: the event was not stored; redeliver it";

class FlushTimeout extends Error {
  readonly code = 'ETIMEDOUT';
}

export function createShardBuffer(options: ShardBufferOptions): ShardBuffer {
  const now = options.now ?? Date.now;
  let pending: PipelineEvent[] = [];
  /** Events of the flush in progress that are not answered yet. */
  const inFlight = new Map<number, PipelineEvent>();
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

  /** The events of `events` still waiting for an answer, removed from the in-flight set. */
  const takeUnanswered = (events: readonly PipelineEvent[]): PipelineEvent[] =>
    events.filter((event) => inFlight.delete(event.seq));

  /** One linear pass over the queue, and over the flush in flight. */
  const failExpired = () => {
    const deadline = now() - options.maxWaitMs;
    const expired: PipelineEvent[] = [];
    if ((pending[0]?.receivedAt ?? deadline) < deadline) {
      const kept: PipelineEvent[] = [];
      for (const event of pending) (event.receivedAt < deadline ? expired : kept).push(event);
      pending = kept;
    }
    for (const [seq, event] of inFlight) {
      if (event.receivedAt < deadline) {
        expired.push(event);
        inFlight.delete(seq);
      }
    }
    fail(expired, 'UNAVAILABLE', UNAVAILABLE_MESSAGE);
    if (expired.length > 0) settleDrain();
  };
  const sweep = setInterval(failExpired, Math.max(10, Math.min(250, Math.floor(options.maxWaitMs / 10))));
  sweep.unref?.();

  /** One transaction, bounded: past `flushTimeoutMs` it is abandoned and counts as unavailable. */
  const attemptApply = (events: readonly PipelineEvent[]): Promise<BatchResult> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        options.onAbandon?.();
        reject(new FlushTimeout(`flush did not finish within ${options.flushTimeoutMs} ms`));
      }, options.flushTimeoutMs);
    });
    return Promise.race([options.apply(events), timeout]).finally(() => clearTimeout(timer));
  };

  /**
   * Applies `events`, isolating events the database refuses by splitting. Returns the events that
   * must wait and be retried because the database became unavailable on the way.
   */
  const settle = async (events: readonly PipelineEvent[]): Promise<readonly PipelineEvent[]> => {
    const started = performance.now();
    try {
      const result = await attemptApply(events);
      const ok = takeUnanswered(events).map((event) => event.seq);
      if (ok.length > 0) options.onAcks(ok, []);
      options.onFlush?.(result, events.length, (performance.now() - started) / 1000);
      return [];
    } catch (error) {
      const [only] = events;
      // A row another session holds locked (an operator's open transaction) fails the batch: split,
      // so that the other players' events go through, and the locked player's event alone is
      // answered UNAVAILABLE, to come again with the platform's redelivery.
      if (isLockNotAvailable(error)) {
        if (events.length === 1 && only) {
          options.onFlushError?.(error, { kind: 'locked', event: only });
          fail(takeUnanswered(events), 'UNAVAILABLE', LOCKED_MESSAGE);
          return [];
        }
        return split(error, events);
      }
      if (isDatabaseUnavailable(error)) {
        options.onFlushError?.(error, {
          kind: 'unavailable',
          attempt: attempt + 1,
          batchSize: events.length,
        });
        return events;
      }
      if (events.length === 1 && only) {
        const code = rejectionCode(error);
        options.onFlushError?.(error, { kind: 'rejected', event: only, code });
        const message =
          code === 'INVALID_REQUEST'
            ? 'the database refused this event; it was not applied'
            : 'internal error while storing the event; it was not applied, retry it';
        fail(takeUnanswered(events), code, message);
        return [];
      }
      return split(error, events);
    }
  };

  /** Settles each half of a failed batch on its own, to find the events that make it fail. */
  const split = async (
    error: unknown,
    events: readonly PipelineEvent[],
  ): Promise<readonly PipelineEvent[]> => {
    options.onFlushError?.(error, { kind: 'split', batchSize: events.length });
    const middle = Math.ceil(events.length / 2);
    const retry = await settle(events.slice(0, middle));
    if (retry.length > 0) return [...retry, ...events.slice(middle)];
    return settle(events.slice(middle));
  };

  const flush = async () => {
    if (options.minWaitMs > 0 && pending.length < options.maxBatch) await Bun.sleep(options.minWaitMs);
    const batch = pending.splice(0, options.maxBatch);
    for (const event of batch) inFlight.set(event.seq, event);
    const retry = await settle(batch);
    // Events of a failed attempt may all have been answered meanwhile: still a failed attempt.
    const waiting = takeUnanswered(retry);
    inFlight.clear();
    if (retry.length === 0) {
      if (attempt > 0) options.onRecovered?.(attempt);
      attempt = 0;
      return;
    }
    attempt++;
    pending = waiting.concat(pending);
    failExpired();
    await Bun.sleep(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (attempt - 1)));
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
      const room = Math.max(0, options.maxBacklog - pending.length - inFlight.size);
      for (let i = 0; i < events.length && i < room; i++) pending.push(events[i] as PipelineEvent);
      fail(events.slice(room), 'RESOURCE_EXHAUSTED', 'event backlog is full: retry later');
      schedule();
    },
    backlog: () => pending.length + inFlight.size,
    drain() {
      return new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        settleDrain();
      });
    },
    close: () => clearInterval(sweep),
  };
}
