import { expect, test } from 'bun:test';
import { OperationTally } from '../../loadtest/lib/tally.ts';

test('tallies from two generators, sent as JSON and merged, equal one tally of everything', () => {
  const whole = new OperationTally();
  const parts = [new OperationTally(), new OperationTally()];
  const calls: [boolean, string, number, number][] = [
    [true, '200', 2.5, 0.1],
    [false, '503', 40, 3],
    [true, '200', 7, 0],
    [false, 'timeout', 10_000, 120],
    [true, '409', 1.2, 0.4],
  ];
  calls.forEach((call, i) => {
    whole.record(...call);
    parts[i % 2]?.record(...call);
  });
  if (parts[1]) parts[1].dropped++;
  whole.dropped++;
  const merged = new OperationTally();
  for (const part of parts) merged.merge(JSON.parse(JSON.stringify(part.toJSON())));
  // Buckets may arrive in another order; their contents must not differ.
  const normalised = (tally: OperationTally) => {
    const data = tally.toJSON();
    return {
      ...data,
      latency: { ...data.latency, buckets: [...data.latency.buckets].sort((a, b) => a[0] - b[0]) },
      okLatency: { ...data.okLatency, buckets: [...data.okLatency.buckets].sort((a, b) => a[0] - b[0]) },
    };
  };
  expect(normalised(merged)).toEqual(normalised(whole));
  expect(merged.done).toBe(5);
  expect(merged.ok).toBe(3);
  expect(merged.statuses).toEqual({ '200': 2, '503': 1, timeout: 1, '409': 1 });
  expect(merged.lagMaxMs).toBe(120);
  expect(merged.latency.max).toBe(10_000);
  // The successes' latency leaves out the failures (the 503 and the timeout).
  expect([merged.okLatency.count, merged.okLatency.max]).toEqual([3, 7]);
});
