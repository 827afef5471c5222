/**
 * Streams inside the stream thread: the hub queues text on them as on any stream, and the relay
 * hands everything queued during one turn of the thread to the main thread in one message, which
 * writes it to the response bodies (stream-thread.ts).
 */
import { OUTBOX_START } from '../db/outbox.ts';
import type { HubStream, StreamInit, StreamState } from './hub-stream.ts';
import type { StreamOutput } from './thread-protocol.ts';

export interface RelayStream extends HubStream {
  /** The main thread's id for the stream. */
  readonly id: number;
  /** The body is gone on the main thread: the stream closes without ending it again. */
  drop(): void;
}

export interface Relay {
  stream(id: number, init: StreamInit): RelayStream;
  countEvent(type: string): void;
  setOpenStreams(count: number): void;
}

export function createRelay(post: (output: StreamOutput) => void): Relay {
  let ids: number[] = [];
  let texts: Array<string | null> = [];
  let events: Record<string, number> = {};
  let openStreams: number | undefined;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    post({ type: 'output', ids, texts, openStreams, events });
    ids = [];
    texts = [];
    events = {};
    openStreams = undefined;
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    queueMicrotask(flush);
  };
  const queue = (id: number, text: string | null) => {
    ids.push(id);
    texts.push(text);
    schedule();
  };

  return {
    stream(id, init) {
      let state: StreamState = 'opening';
      let lastSentAt = performance.now();
      const closeAs = (end: boolean) => {
        if (state === 'closed') return;
        state = 'closed';
        if (end) queue(id, null);
        init.onClose();
      };
      return {
        id,
        userId: init.userId,
        activeOnly: init.activeOnly,
        get state() {
          return state;
        },
        cursor: OUTBOX_START,
        shown: new Map(),
        get lastSentAt() {
          return lastSentAt;
        },
        send(text) {
          if (state === 'closed') return;
          lastSentAt = performance.now();
          queue(id, text);
        },
        markLive() {
          if (state === 'opening') state = 'live';
        },
        close: () => closeAs(true),
        drop: () => closeAs(false),
      };
    },
    countEvent(type) {
      events[type] = (events[type] ?? 0) + 1;
      schedule();
    },
    setOpenStreams(count) {
      openStreams = count;
      schedule();
    },
  };
}
