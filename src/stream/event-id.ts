/**
 * Stream event ids. An event recorded in the outbox, and each snapshot, carries the outbox position
 * it stands at, `<tx>-<id>` (the writing transaction and the message id, see db/outbox.ts), which
 * orders every message of a player whenever it committed. Clients treat it as opaque and send it
 * back as `Last-Event-ID`.
 */
import type { OutboxCursor } from '../db/outbox.ts';

const EVENT_ID = /^(\d{1,20})-(\d{1,20})$/;

export const formatEventId = (cursor: OutboxCursor): string => `${cursor.tx}-${cursor.id}`;

/** The position in an event id; undefined when the text is not one. */
export function parseEventId(text: string): OutboxCursor | undefined {
  const match = EVENT_ID.exec(text.trim());
  if (!match?.[1] || !match[2]) return undefined;
  const tx = BigInt(match[1]);
  const id = BigInt(match[2]);
  // The ranges of xid8 and bigint: anything larger would fail in the query, not just match nothing.
  if (tx >= 2n ** 64n || id >= 2n ** 63n) return undefined;
  return { tx: tx.toString(), id: id.toString() };
}

/** Negative when `a` orders before `b`, in the outbox's (tx, id) order. */
export function compareCursors(a: OutboxCursor, b: OutboxCursor): number {
  const tx = BigInt(a.tx) - BigInt(b.tx);
  if (tx !== 0n) return tx < 0n ? -1 : 1;
  const id = BigInt(a.id) - BigInt(b.id);
  return id === 0n ? 0 : id < 0n ? -1 : 1;
}
