/**
 * The response body of one live stream, on the thread that serves HTTP: text queued on it is
 * written to the connection once the current task ends, a write at a time.
 *
 * A client that stops reading would make the service buffer everything sent to it. Past
 * `maxBufferedBytes` waiting in the body (or twice the largest text sent on it, so that a list
 * larger than the bound is still delivered) the stream is cut instead; the client reconnects with
 * its `Last-Event-ID` and the outbox replays what it missed. Many such clients together are bounded
 * by the process's unread budget.
 */

export interface StreamBody {
  readonly body: ReadableStream<Uint8Array>;
  /** Queues text; nothing once closed. */
  send(text: string): void;
  /** Ends the body after what is queued (idempotent). */
  close(): void;
}

/** Why the service cut a stream: its own client's backlog, or the process's (UnreadBudget). */
export type StreamCut = 'client' | 'process';

export interface StreamBodyOptions {
  readonly maxBufferedBytes: number;
  /** Shared by the process's streams. */
  readonly budget: UnreadBudget;
  /** Called once when the body closes: closed here, cut, or the client went away. */
  readonly onClose: () => void;
  readonly onCut?: (reason: StreamCut) => void;
}

/** A client that has not taken this much text is cut. */
export const STREAM_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * The text every stream of a process holds for its client, together. Past `maxBytes`, a stream
 * whose client has taken nothing for `stallMs` is cut at its next text (a heartbeat at the
 * latest), so clients that stopped reading cannot hold the process's memory between them, while
 * those that only fall behind for a moment (a snapshot sent to every stream at once) stay. A
 * stream the service closes gives its client `stallMs` to take what is left.
 */
export interface UnreadBudget {
  readonly maxBytes: number;
  readonly stallMs: number;
  /** The clock stalls are measured with (milliseconds, any origin). */
  readonly now: () => number;
  /** Bytes held now. */
  readonly held: number;
  add(bytes: number): void;
}

export function createUnreadBudget(
  maxBytes: number,
  options: { readonly stallMs?: number | undefined; readonly now?: (() => number) | undefined } = {},
): UnreadBudget {
  let held = 0;
  return {
    maxBytes,
    stallMs: options.stallMs ?? 5_000,
    now: options.now ?? (() => performance.now()),
    get held() {
      return held;
    },
    add(bytes) {
      held += bytes;
    },
  };
}

const isPromise = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';

export function createStreamBody(options: StreamBodyOptions): StreamBody {
  const { budget } = options;
  let closed = false;
  // Text not yet handed to the server, and how many UTF-8 bytes wait in all (including a write
  // the client has not taken yet), counted here and in the process's budget.
  let queue: string[] = [];
  let queued = 0;
  let released = false;
  let bound = options.maxBufferedBytes;
  // Since when the body has held text without the client taking any.
  let waitingSince: number | undefined;
  let controller: ReadableStreamDirectController | undefined;
  let writing = false;
  let drainScheduled = false;
  let ended = false;
  let failure: Error | undefined;
  let closing: ReturnType<typeof setTimeout> | undefined;
  const taken = (bytes: number) => {
    if (released) return;
    queued -= bytes;
    budget.add(-bytes);
    waitingSince = queued > 0 ? budget.now() : undefined;
  };
  // A body ended early gives back at once everything it still held.
  const release = () => {
    if (released) return;
    released = true;
    budget.add(-queued);
    queued = 0;
    queue = [];
  };
  const end = (error?: Error) => {
    clearTimeout(closing);
    failure ??= error;
    if (ended || !controller) return;
    ended = true;
    try {
      controller.close(failure);
    } catch {
      // the connection is already gone
    }
  };
  // Writes everything queued this turn as one piece; while the client has not taken the last
  // piece, text waits here, where it is counted.
  const drain = () => {
    drainScheduled = false;
    if (!controller || writing || ended) return;
    if (queue.length === 0) {
      if (closed) end();
      return;
    }
    const text = queue.length === 1 ? (queue[0] ?? '') : queue.join('');
    queue = [];
    const bytes = Buffer.byteLength(text);
    let pending: PromiseLike<unknown> | undefined;
    try {
      const written = controller.write(text);
      const flushed = controller.flush();
      pending = isPromise(flushed) ? flushed : isPromise(written) ? written : undefined;
    } catch {
      finish(false);
      return;
    }
    if (!pending) {
      taken(bytes);
      return drain();
    }
    writing = true;
    pending.then(
      () => {
        writing = false;
        taken(bytes);
        drain();
      },
      () => finish(false),
    );
  };
  const scheduleDrain = () => {
    if (drainScheduled) return;
    drainScheduled = true;
    queueMicrotask(drain);
  };
  // The connection failing or the client leaving also ends a body already closing.
  const finish = (endBody: boolean) => {
    if (!endBody) {
      release();
      end();
    }
    if (closed) return;
    closed = true;
    if (endBody) {
      scheduleDrain();
      // What a client that stopped reading (or a body no response took) still holds is freed.
      if (queued > 0) {
        closing = setTimeout(() => {
          release();
          end(new Error('the client did not take the end of its event stream'));
        }, budget.stallMs);
        closing.unref?.();
      }
    }
    options.onClose();
  };
  const cut = (reason: StreamCut) => {
    closed = true;
    release();
    end(new Error('the client is not reading its event stream'));
    options.onCut?.(reason);
    options.onClose();
  };
  const stalled = () => waitingSince !== undefined && budget.now() - waitingSince >= budget.stallMs;
  // A direct stream: text goes to the connection without a chunk queue or a promise per chunk,
  // which for thousands of streams is a large share of the cost of an event and of memory.
  const body = new ReadableStream<Uint8Array>({
    type: 'direct',
    pull(c) {
      controller = c;
      if (closed && queue.length === 0) end();
      else drain();
    },
    // The client went away (or the server dropped the response).
    cancel() {
      finish(false);
    },
  });
  return {
    body,
    send(text) {
      if (closed) return;
      const bytes = Buffer.byteLength(text);
      bound = Math.max(bound, 2 * bytes);
      if (queued + bytes > bound) return cut('client');
      if (budget.held + bytes > budget.maxBytes && stalled()) return cut('process');
      queue.push(text);
      if (queued === 0) waitingSince = budget.now();
      queued += bytes;
      budget.add(bytes);
      scheduleDrain();
    },
    close: () => finish(true),
  };
}
