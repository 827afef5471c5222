/**
 * When an event happened, for the rules that depend on it (which UTC day a per-day goal counts it
 * on; whether a statistic value is newer than the one stored).
 *
 * The platform stamps each event with its own `timestamp`. A redelivery can arrive much later than
 * the event happened (a login at 23:59 redelivered at 00:01 still belongs to the earlier day), so
 * that stamp is preferred. It is trusted only when it is plausible: not after the moment we received
 * the event (a sender's clock running ahead would otherwise count today's events on tomorrow), and
 * at most MAX_EVENT_AGE_MS before it (redelivery is retried for hours, not days; anything older, or
 * unparseable, is more likely a bad clock than a real delay). Otherwise the receipt time stands in.
 */

export const MAX_EVENT_AGE_MS = 24 * 60 * 60 * 1000;

/** The event's time in epoch milliseconds: its own timestamp when plausible, else when it was received. */
export function eventInstant(timestampMs: number | undefined, receivedAtMs: number): number {
  if (timestampMs === undefined || !Number.isFinite(timestampMs)) return receivedAtMs;
  if (timestampMs > receivedAtMs || timestampMs < receivedAtMs - MAX_EVENT_AGE_MS) return receivedAtMs;
  return timestampMs;
}

/** Epoch milliseconds of an RFC 3339 timestamp as the platform sends it; undefined when empty or invalid. */
export function parseEventTimestamp(text: string): number | undefined {
  if (text === '') return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}
