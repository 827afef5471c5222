/**
 * A live stream as the hub (stream-hub.ts) sees it: whose it is, where it stands in the outbox, and
 * a way to queue text on it. Where the text goes is the stream's business: the hub runs in the
 * stream thread, whose streams relay it to the body on the HTTP thread (relay-stream.ts).
 */
import type { OutboxCursor } from '../db/outbox.ts';

export type StreamState = 'opening' | 'live' | 'closed';

export interface HubStream {
  readonly userId: string;
  readonly activeOnly: boolean;
  readonly state: StreamState;
  /** The outbox position of the last message sent (or the snapshot's). */
  cursor: OutboxCursor;
  /**
   * How each goal looked in the last event sent for it since the snapshot (a hash of its text), so
   * a write the player cannot see (only the event ordering time moved) sends nothing.
   */
  readonly shown: Map<string, number>;
  /** When text was last queued (performance.now()): a stream with recent traffic needs no heartbeat. */
  readonly lastSentAt: number;
  /** Queues text on the stream; nothing once closed. */
  send(text: string): void;
  /** The snapshot is queued: the stream receives changes from now on. */
  markLive(): void;
  /** Ends the stream after what is queued (idempotent); the stream leaves its hub. */
  close(): void;
}

/** What the hub gives a stream it creates. */
export interface StreamInit {
  readonly userId: string;
  readonly activeOnly: boolean;
  /** Called once when the stream closes, whoever closed it. */
  readonly onClose: () => void;
}
