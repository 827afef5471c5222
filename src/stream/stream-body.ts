/**
 * The response body of one live stream, on the thread that serves HTTP: text queued on it is
 * written to the connection once the current task ends, a write at a time.
 *
 * A client that stops reading would make the service buffer everything sent to it. Past
 * `maxBufferedBytes` waiting in the body (or twice the largest text sent on it, so that a list
 * larger than the bound is still delivered) the stream is cut instead; the client reconnects with
 * its `Last-Event-ID` and the outbox replays what it missed.
 */

export interface StreamBody {
  readonly body: ReadableStream<Uint8Array>;
  /** Queues text; nothing once closed. */
  send(text: string): void;
  /** Ends the body after what is queued (idempotent). */
  close(): void;
}

export interface StreamBodyOptions {
  readonly maxBufferedBytes: number;
  /** Called once when the body closes: closed here, cut, or the client went away. */
  readonly onClose: () => void;
}

/** A client that has not taken this much text is cut. */
export const STREAM_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

const isPromise = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';

export function createStreamBody(options: StreamBodyOptions): StreamBody {
  let closed = false;
  // Text not yet handed to the server, and how many UTF-8 bytes wait in all (including a write
  // the client has not taken yet).
  let queue: string[] = [];
  let queued = 0;
  let bound = options.maxBufferedBytes;
  let controller: ReadableStreamDirectController | undefined;
  let writing = false;
  let drainScheduled = false;
  let ended = false;
  let failure: Error | undefined;
  const end = (error?: Error) => {
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
      queued -= bytes;
      return drain();
    }
    writing = true;
    pending.then(
      () => {
        writing = false;
        queued -= bytes;
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
  const finish = (endBody: boolean) => {
    if (closed) return;
    closed = true;
    if (!endBody) {
      queue = [];
      end();
    } else scheduleDrain();
    options.onClose();
  };
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
      queue.push(text);
      const bytes = Buffer.byteLength(text);
      queued += bytes;
      bound = Math.max(bound, 2 * bytes);
      if (queued > bound) {
        closed = true;
        queue = [];
        end(new Error('the client is not reading its event stream'));
        options.onClose();
        return;
      }
      scheduleDrain();
    },
    close: () => finish(true),
  };
}
