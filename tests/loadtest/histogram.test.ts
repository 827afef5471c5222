import { describe, expect, test } from 'bun:test';
import { Histogram, summarizeHistogram } from '../../loadtest/lib/histogram.ts';

const within1Percent = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected) / expected).toBeLessThanOrEqual(0.01);

describe('latency histogram', () => {
  test('percentiles of 1…1000 ms are within 1 % of the nearest-rank values', () => {
    const histogram = new Histogram();
    for (let ms = 1000; ms >= 1; ms--) histogram.record(ms);
    within1Percent(histogram.percentile(50), 500);
    within1Percent(histogram.percentile(95), 950);
    within1Percent(histogram.percentile(99), 990);
    expect(histogram.percentile(100)).toBe(1000);
    expect(histogram.max).toBe(1000);
    expect(histogram.mean).toBeCloseTo(500.5, 6);
    expect(histogram.count).toBe(1000);
  });

  test('a single slow request sets p100 and max exactly, and p99 only when it is 1 % of requests', () => {
    const histogram = new Histogram();
    for (let i = 0; i < 99; i++) histogram.record(2);
    histogram.record(1234.5);
    within1Percent(histogram.percentile(99), 2);
    expect(histogram.percentile(100)).toBe(1234.5);
    histogram.record(1234.5);
    expect(histogram.percentile(99)).toBe(1234.5);
  });

  test('sub-microsecond and zero latencies land in the first bucket', () => {
    const histogram = new Histogram();
    histogram.record(0);
    histogram.record(0.0004);
    expect(histogram.percentile(50)).toBeLessThanOrEqual(0.001);
  });

  test('merging histograms (other processes, other seconds) equals recording everything in one', () => {
    const whole = new Histogram();
    const parts = [new Histogram(), new Histogram(), new Histogram()];
    for (let i = 0; i < 3000; i++) {
      const ms = ((i * 7919) % 997) / 10 + 0.05;
      whole.record(ms);
      parts[i % 3]?.record(ms);
    }
    const merged = new Histogram();
    for (const part of parts) merged.merge(JSON.parse(JSON.stringify(part.toJSON())));
    for (const p of [50, 90, 95, 99, 99.9]) expect(merged.percentile(p)).toBe(whole.percentile(p));
    expect(merged.count).toBe(whole.count);
    expect(merged.max).toBe(whole.max);
    expect(merged.sum).toBeCloseTo(whole.sum, 6);
  });

  test('an empty histogram summarises to NaN, not zero', () => {
    const summary = summarizeHistogram(new Histogram());
    expect(summary.count).toBe(0);
    expect(summary.p99).toBeNaN();
    expect(summary.max).toBeNaN();
  });
});
