/**
 * The process's time, as every thread reads it. Production passes nothing and reads the system
 * clock. End-to-end tests that cross rotation periods or UTC days pass a movable clock instead: an
 * offset in milliseconds held in a SharedArrayBuffer that the HTTP side, the ingress worker (event
 * receipt time) and the shard workers (flush time) all read, so the test moves every thread at
 * once without sleeping across a boundary. The buffer travels in workerData; nothing here is a
 * module-level singleton.
 */

/** Epoch milliseconds now. */
export type EpochClock = () => number;

/** The clock over a shared offset, or the system clock when there is none. */
export function epochClock(offset: SharedArrayBuffer | undefined): EpochClock {
  if (!offset) return Date.now;
  const cell = new BigInt64Array(offset);
  return () => Date.now() + Number(Atomics.load(cell, 0));
}

/** For tests only: a clock whose offset the test moves; `buffer` is what the service is given. */
export interface MovableClock {
  readonly buffer: SharedArrayBuffer;
  now(): Date;
  /** Moves every reader of `buffer` so that it is `at` now (time keeps running from there). */
  set(at: Date): void;
  advance(ms: number): void;
}

export function createMovableClock(at?: Date): MovableClock {
  const buffer = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
  const cell = new BigInt64Array(buffer);
  const read = epochClock(buffer);
  const clock: MovableClock = {
    buffer,
    now: () => new Date(read()),
    set: (target) => Atomics.store(cell, 0, BigInt(Math.round(target.getTime() - Date.now()))),
    advance: (ms) => Atomics.add(cell, 0, BigInt(Math.round(ms))),
  };
  if (at) clock.set(at);
  return clock;
}
