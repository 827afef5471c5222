/**
 * One player's open event stream: the response body, the outbox position it has reached, and
 * whether it is still opening (its snapshot not yet sent) or live.
 *
 * A client that stops reading would make the service buffer everything sent to it. Past
 * `maxBufferedBytes` waiting in the body the stream is cut instead; the client reconnects with
 * its `Last-Event-ID` and the outbox replays what it missed.
 */
import { OUTBOX_START, type OutboxCursor } from '../db/outbox.ts';

export type StreamState = 'opening' | 'live' | 'closed';

export interface PlayerStream {
  readonly userId: string;
  readonly activeOnly: boolean;
  readonly body: ReadableStream<Uint8Array>;
  readonly state: StreamState;
  /** The outbox position of the last message sent (or the snapshot's). */
  cursor: OutboxCursor;
  /**
   * How each goal looked in the last event sent for it since the snapshot (a hash of its text), so
   * a write the player cannot see (only the event ordering time moved) sends nothing.
   */
  readonly shown: Map<string, number>;
  /** Queues text on the body; nothing once closed. */
  send(text: string): void;
  /** The snapshot is queued: the stream receives changes from now on. */
  markLive(): void;
  /** Ends the body (idempotent); the stream leaves its hub. */
  close(): void;
}

export interface PlayerStreamOptions {
  readonly userId: string;
  readonly activeOnly: boolean;
  readonly maxBufferedBytes: number;
  readonly onClose: (stream: PlayerStream) => void;
}

const encoder = new TextEncoder();

export function createPlayerStream(options: PlayerStreamOptions): PlayerStream {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let state: StreamState = 'opening';
  const finish = (endBody: boolean) => {
    if (state === 'closed') return;
    state = 'closed';
    if (endBody) {
      try {
        controller?.close();
      } catch {
        // already errored or cancelled by the consumer
      }
    }
    options.onClose(stream);
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      // The client went away (or the server dropped the response).
      cancel() {
        finish(false);
      },
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk?.byteLength ?? 0 },
  );
  const stream: PlayerStream = {
    userId: options.userId,
    activeOnly: options.activeOnly,
    body,
    get state() {
      return state;
    },
    cursor: OUTBOX_START,
    shown: new Map(),
    send(text) {
      if (state === 'closed' || !controller) return;
      controller.enqueue(encoder.encode(text));
      if ((controller.desiredSize ?? 0) < -options.maxBufferedBytes) {
        state = 'closed';
        controller.error(new Error('the client is not reading its event stream'));
        options.onClose(stream);
      }
    },
    markLive() {
      if (state === 'opening') state = 'live';
    },
    close: () => finish(true),
  };
  return stream;
}
