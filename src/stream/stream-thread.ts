/**
 * The live streams as the main thread serves them: the response bodies live here, where the HTTP
 * server is, and everything else (the change feed, the reads, rendering, deciding what each stream
 * is sent) runs in the stream thread (workers/streams.ts). Delivering thousands of events a second
 * is mostly reading and rendering; on the main thread that work would queue up the API's requests.
 *
 * If the thread dies, every stream ends (clients reconnect and resume with their Last-Event-ID)
 * and the next open starts a new thread.
 */
import { Worker } from 'node:worker_threads';
import { AppError } from '../domain/errors.ts';
import type { Challenge } from '../domain/types.ts';
import type { Logger } from '../log.ts';
import type { MetricsSnapshot } from '../pipeline/pipeline-metrics.ts';
import { createStreamBody, createUnreadBudget, type StreamBody, type StreamCut } from './stream-body.ts';
import type { StreamHub } from './stream-hub.ts';
import type { StreamCommand, StreamOutput, StreamReport, StreamWorkerData } from './thread-protocol.ts';

export interface StreamThreadOptions {
  readonly workerFile: URL;
  /** The thread's settings; its challenges are replaced by `applyChallenges`. */
  readonly data: StreamWorkerData;
  readonly maxBufferedBytes: number;
  /** Unread text the process's streams may hold together (UnreadBudget). */
  readonly maxUnreadBytes: number;
  /** How long a client must have taken nothing to be cut for the process's budget, and the clock of it. */
  readonly stallMs?: number;
  readonly stallClock?: () => number;
  readonly logger: Logger;
  readonly onOpenStreams?: (count: number) => void;
  readonly onEvents?: (type: string, count: number) => void;
  readonly onCut?: (reason: StreamCut) => void;
}

export interface StreamThread extends StreamHub<StreamBody> {
  /** A new configuration: goals render as it says from the thread's next round on. */
  applyChallenges(challenges: readonly Challenge[]): void;
  /** Bytes the response bodies hold that their clients have not taken yet. */
  unreadBytes(): number;
  /** The thread's metrics (its heap); none before the first stream started it, or if it does not answer. */
  collectMetrics(): Promise<MetricsSnapshot[]>;
}

const STOP_TIMEOUT_MS = 10_000;
const COLLECT_TIMEOUT_MS = 1_000;
const unavailable = () => new AppError('UNAVAILABLE', 'The service is shutting down; reconnect');

export function startStreamThread(options: StreamThreadOptions): StreamThread {
  const { logger } = options;
  let challenges = options.data.challenges;
  let worker: Worker | undefined;
  let stopped = false;
  let openCount = 0;
  let nextId = 1;
  const bodies = new Map<number, StreamBody>();
  const budget = createUnreadBudget(options.maxUnreadBytes, {
    stallMs: options.stallMs,
    now: options.stallClock,
  });
  /** Streams the thread ended: closing their body must not tell the thread again. */
  const endedByThread = new Set<number>();
  const opening = new Map<number, { resolve(): void; reject(error: unknown): void }>();
  let onStopped: (() => void) | undefined;
  let nextRequest = 0;
  const collecting = new Map<number, (snapshot: MetricsSnapshot) => void>();

  const setOpenCount = (count: number) => {
    openCount = count;
    options.onOpenStreams?.(count);
  };
  const command = (message: StreamCommand) => worker?.postMessage(message);
  const endFromThread = (id: number) => {
    const body = bodies.get(id);
    if (!body) return;
    endedByThread.add(id);
    body.close();
  };

  const deliver = (output: StreamOutput) => {
    const { ids, texts } = output;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] ?? 0;
      const text = texts[i];
      if (text === null || text === undefined) endFromThread(id);
      else bodies.get(id)?.send(text);
    }
    if (output.openStreams !== undefined) setOpenCount(output.openStreams);
    for (const [type, count] of Object.entries(output.events)) options.onEvents?.(type, count);
  };

  const onReport = (report: StreamReport) => {
    switch (report.type) {
      case 'output':
        return deliver(report);
      case 'opened':
        opening.get(report.id)?.resolve();
        opening.delete(report.id);
        return;
      case 'refused': {
        const { id, code, message, retryAfterSeconds } = report;
        opening
          .get(id)
          ?.reject(
            new AppError(code, message, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds }),
          );
        opening.delete(id);
        endFromThread(id);
        return;
      }
      case 'metrics':
        collecting.get(report.request)?.(report.snapshot);
        return;
      case 'stopped':
        onStopped?.();
        return;
      case 'fatal':
        logger.error({ reason: report.message }, 'live streams: the stream thread failed');
        return;
    }
  };

  // Every stream ends; the next open starts a new thread.
  const onThreadGone = (current: Worker, reason: string) => {
    if (worker !== current) return;
    worker = undefined;
    if (!stopped) logger.error({ reason }, 'live streams: the stream thread stopped; ending its streams');
    for (const [id, pendingOpen] of opening) {
      pendingOpen.reject(new AppError('UNAVAILABLE', 'The live stream service restarted; reconnect'));
      opening.delete(id);
    }
    for (const id of [...bodies.keys()]) endFromThread(id);
    setOpenCount(0);
    onStopped?.();
  };

  const spawn = (): Worker => {
    const started = new Worker(options.workerFile, {
      name: 'streams',
      workerData: { ...options.data, challenges },
    });
    started.on('message', onReport);
    started.on('error', (error: Error) => onThreadGone(started, error.message));
    started.on('exit', (code: number) => onThreadGone(started, `the thread exited with code ${code}`));
    return started;
  };

  return {
    open(request) {
      if (stopped) return Promise.reject(unavailable());
      worker ??= spawn();
      const id = nextId++;
      const body = createStreamBody({
        maxBufferedBytes: options.maxBufferedBytes,
        budget,
        ...(options.onCut ? { onCut: options.onCut } : {}),
        onClose: () => {
          bodies.delete(id);
          if (!endedByThread.delete(id)) command({ type: 'close', id });
        },
      });
      bodies.set(id, body);
      return new Promise<StreamBody>((resolve, reject) => {
        opening.set(id, { resolve: () => resolve(body), reject });
        command({
          type: 'open',
          id,
          userId: request.userId,
          activeOnly: request.activeOnly,
          resumeFrom: request.resumeFrom,
        });
      });
    },
    openStreams: () => openCount,
    unreadBytes: () => budget.held,
    async collectMetrics() {
      if (!worker || stopped) return [];
      const request = ++nextRequest;
      const snapshot = await new Promise<MetricsSnapshot | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), COLLECT_TIMEOUT_MS);
        collecting.set(request, (answer) => {
          clearTimeout(timer);
          resolve(answer);
        });
        command({ type: 'collect', request });
      });
      collecting.delete(request);
      return snapshot ? [snapshot] : [];
    },
    applyChallenges(next) {
      challenges = next;
      command({ type: 'catalog', challenges: next });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const current = worker;
      if (!current) return;
      const done = new Promise<void>((resolve) => {
        onStopped = resolve;
      });
      command({ type: 'stop' });
      const timer = setTimeout(() => onStopped?.(), STOP_TIMEOUT_MS);
      await done;
      clearTimeout(timer);
      worker = undefined;
      for (const id of [...bodies.keys()]) endFromThread(id);
      for (const pendingOpen of opening.values()) pendingOpen.reject(unavailable());
      opening.clear();
      await current.terminate();
    },
  };
}
