import { describe, expect, test } from 'bun:test';
import { createReportThrottle } from '../../src/auth/report-throttle.ts';

describe('createReportThrottle', () => {
  test('passes the first report, holds the rest of the interval back and counts them', () => {
    let now = 1_000;
    const throttle = createReportThrottle(60_000, () => now);
    const reported: number[] = [];
    const report = (suppressed: number) => reported.push(suppressed);

    throttle(report);
    now += 1_000;
    throttle(report);
    now += 58_999;
    throttle(report);
    expect(reported).toEqual([0]);

    now += 1;
    throttle(report);
    expect(reported).toEqual([0, 2]);

    now += 600_000;
    throttle(report);
    expect(reported).toEqual([0, 2, 0]);
  });
});
