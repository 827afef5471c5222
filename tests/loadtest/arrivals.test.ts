import { describe, expect, test } from 'bun:test';
import { arrivalsDue, dueAtMs, type Outcome, runArrivals } from '../../loadtest/lib/arrivals.ts';
import { shareOf } from '../../loadtest/lib/plan.ts';

describe('arrival schedule', () => {
  test('a constant rate schedules arrival k at k / rate seconds', () => {
    expect(arrivalsDue(300, 0)).toBe(0);
    expect(arrivalsDue(300, 1000)).toBe(300);
    expect(arrivalsDue(300, 3.3)).toBe(0);
    expect(arrivalsDue(300, 3.34)).toBe(1);
    expect(arrivalsDue(5000, 60_000)).toBe(300_000);
    expect(arrivalsDue(0.5, 1999)).toBe(0);
    expect(arrivalsDue(0.5, 2000)).toBe(1);
    expect(dueAtMs(500, 1)).toBe(2);
    expect(dueAtMs(500, 500)).toBe(1000);
  });

  test('the rate and the in-flight limit are split across generator processes', () => {
    const stream = { name: 'api', rate: 300, maxInFlight: 100, mix: [{ op: 'list' as const, weight: 1 }] };
    expect(shareOf(stream, 3)).toEqual({ rate: 100, maxInFlight: 34 });
    expect(shareOf({ ...stream, rate: 'max' }, 2)).toEqual({ rate: 'max', maxInFlight: 50 });
  });
});

/** Runs a schedule on a simulated clock: operations finish after `serviceMs` of simulated time. */
async function simulate(rate: number, durationMs: number, maxInFlight: number, serviceMs: number) {
  let clock = 0;
  const pending: { at: number; resolve: (outcome: Outcome) => void }[] = [];
  const latencies: number[] = [];
  let dropped = 0;
  const advance = async (ms: number) => {
    for (let i = 0; i < ms; i++) {
      clock += 1;
      for (const entry of pending.filter((p) => p.at <= clock)) {
        pending.splice(pending.indexOf(entry), 1);
        entry.resolve({ ok: true, status: '200' });
      }
      await Promise.resolve();
    }
  };
  const run = runArrivals({
    rate,
    maxInFlight,
    startAt: 0,
    durationMs,
    now: () => clock,
    sleep: advance,
    start: () => new Promise<Outcome>((resolve) => pending.push({ at: clock + serviceMs, resolve })),
    events: {
      onDone: (_outcome, latencyMs) => latencies.push(latencyMs),
      onDropped: () => dropped++,
    },
  });
  // Operations still running when the schedule ends finish as simulated time goes on.
  let finished = false;
  void run.then(() => {
    finished = true;
  });
  while (!finished) await advance(1);
  return { latencies, dropped };
}

describe('open-loop runner', () => {
  test('a server keeping up gets exactly rate × duration arrivals and none dropped', async () => {
    const { latencies, dropped } = await simulate(200, 1000, 100, 3);
    expect(latencies.length).toBe(200);
    expect(dropped).toBe(0);
  });

  test('a slow server does not slow the arrivals: the excess is dropped and counted', async () => {
    // 100 arrivals/s with each taking 200 ms needs 20 in flight; only 5 are allowed.
    const { latencies, dropped } = await simulate(100, 1000, 5, 200);
    expect(latencies.length + dropped).toBe(100);
    expect(dropped).toBeGreaterThan(70);
    expect(Math.min(...latencies)).toBeGreaterThanOrEqual(200);
  });
});
