/** UTC calendar helpers. Time is always a parameter; nothing here reads the clock. */

const DAY_MS = 86_400_000;

/** The UTC calendar day of an instant, as `YYYY-MM-DD`. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** The next 00:00 UTC strictly after `now`. */
export function nextUtcMidnight(now: Date): Date {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS + DAY_MS);
}

/** RFC 3339 in UTC with whole seconds, as the original emits; `""` for no value. */
export function formatTimestamp(instant: Date | null | undefined): string {
  if (!instant) return '';
  return `${instant.toISOString().slice(0, 19)}Z`;
}

/** Whole seconds from `now` until `instant`, never negative; 0 when there is no instant. */
export function secondsUntil(instant: Date | null, now: Date): number {
  if (!instant) return 0;
  return Math.max(0, Math.floor((instant.getTime() - now.getTime()) / 1000));
}
