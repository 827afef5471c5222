/**
 * Open-loop arrivals, as k6's `constant-arrival-rate`: operations start on a fixed schedule whether
 * or not earlier ones have finished, so a slow server shows up as latency instead of quietly
 * lowering the rate. Arrival k (from 1) is due k / rate seconds after the start. An arrival that
 * finds `maxInFlight` operations still running is dropped and counted, never silently skipped.
 * `rate: 'max'` is the closed loop used for ceilings: `maxInFlight` operations always in flight.
 */

/** How many arrivals are due `elapsedMs` after the start at `ratePerSecond`. */
export function arrivalsDue(ratePerSecond: number, elapsedMs: number): number {
  if (elapsedMs <= 0 || ratePerSecond <= 0) return 0;
  return Math.floor((elapsedMs * ratePerSecond) / 1000 + 1e-9);
}

/** When arrival `k` (from 1) is due, in ms after the start. */
export const dueAtMs = (ratePerSecond: number, k: number) => (k * 1000) / ratePerSecond;

export interface Outcome {
  readonly ok: boolean;
  /** HTTP status, gRPC status, or 'timeout' / 'network'. */
  readonly status: string;
  /** Which operation of a mix ran. */
  readonly label?: string;
}

export interface ArrivalEvents {
  /** An operation finished; `latencyMs` counts from its scheduled arrival time. */
  onDone(outcome: Outcome, latencyMs: number, lagMs: number): void;
  onDropped(): void;
}

export interface ArrivalOptions {
  readonly rate: number | 'max';
  readonly maxInFlight: number;
  readonly startAt: number;
  readonly durationMs: number;
  /** Stops the schedule early (e.g. once every user of an initialize wave is done). */
  readonly arrivals?: number;
  readonly start: () => Promise<Outcome>;
  readonly events: ArrivalEvents;
  readonly now?: () => number;
  /** How the scheduler waits between checks (1 ms); replaceable to run it on a simulated clock. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Runs one stream of arrivals to its end; resolves when every started operation has finished. */
export async function runArrivals(options: ArrivalOptions): Promise<void> {
  const now = options.now ?? (() => performance.timeOrigin + performance.now());
  const sleep = options.sleep ?? ((ms: number) => Bun.sleep(ms));
  const endAt = options.startAt + options.durationMs;
  const limit = options.arrivals ?? Number.POSITIVE_INFINITY;
  let inFlight = 0;
  let issued = 0;
  const running = new Set<Promise<void>>();
  const launch = (scheduledAt: number) => {
    const sentAt = now();
    inFlight++;
    const work = options
      .start()
      .catch((error: unknown): Outcome => ({ ok: false, status: String(error) }))
      .then((outcome) => {
        inFlight--;
        options.events.onDone(outcome, now() - scheduledAt, sentAt - scheduledAt);
        running.delete(work);
      });
    running.add(work);
  };

  while (now() < options.startAt) await sleep(Math.max(1, Math.min(50, options.startAt - now())));
  if (options.rate === 'max') {
    const loop = async () => {
      while (now() < endAt && issued < limit) {
        issued++;
        const sentAt = now();
        const outcome = await options
          .start()
          .catch((error: unknown): Outcome => ({ ok: false, status: String(error) }));
        options.events.onDone(outcome, now() - sentAt, 0);
      }
    };
    await Promise.all(Array.from({ length: options.maxInFlight }, loop));
    return;
  }
  const rate = options.rate;
  while (issued < limit) {
    const current = now();
    const elapsed = Math.min(current, endAt) - options.startAt;
    const due = Math.min(limit, arrivalsDue(rate, elapsed));
    for (; issued < due; issued++) {
      if (inFlight >= options.maxInFlight) options.events.onDropped();
      else launch(options.startAt + dueAtMs(rate, issued + 1));
    }
    if (current >= endAt) break;
    await sleep(1);
  }
  await Promise.all(running);
}
