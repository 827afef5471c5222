import { describe, expect, test } from 'bun:test';
import { nextPeriodStart, periodKey, periodStart } from '../../src/domain/rotation.ts';
import type { RotationSchedule } from '../../src/domain/types.ts';

const at = (iso: string) => new Date(iso);

describe('rotation periods', () => {
  const cases: ReadonlyArray<readonly [RotationSchedule, string, string, string]> = [
    // schedule, now, period start, next period start
    ['daily', '2026-03-10T12:34:56Z', '2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z'],
    ['daily', '2026-03-10T00:00:00Z', '2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z'],
    ['daily', '2026-03-10T23:59:59.999Z', '2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z'],
    ['daily', '2026-12-31T23:59:59Z', '2026-12-31T00:00:00Z', '2027-01-01T00:00:00Z'],
    ['daily', '2028-02-28T10:00:00Z', '2028-02-28T00:00:00Z', '2028-02-29T00:00:00Z'],
    ['daily', '2028-02-29T10:00:00Z', '2028-02-29T00:00:00Z', '2028-03-01T00:00:00Z'],
    // 2026-03-09 is a Monday.
    ['weekly', '2026-03-09T00:00:00Z', '2026-03-09T00:00:00Z', '2026-03-16T00:00:00Z'],
    ['weekly', '2026-03-08T23:59:59Z', '2026-03-02T00:00:00Z', '2026-03-09T00:00:00Z'],
    ['weekly', '2026-03-11T08:00:00Z', '2026-03-09T00:00:00Z', '2026-03-16T00:00:00Z'],
    ['weekly', '2026-03-15T23:59:59Z', '2026-03-09T00:00:00Z', '2026-03-16T00:00:00Z'],
    // A week across the year end: 2026-12-28 is a Monday.
    ['weekly', '2027-01-01T12:00:00Z', '2026-12-28T00:00:00Z', '2027-01-04T00:00:00Z'],
    ['weekly', '2028-03-01T00:00:00Z', '2028-02-28T00:00:00Z', '2028-03-06T00:00:00Z'],
    ['monthly', '2026-03-10T12:00:00Z', '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'],
    ['monthly', '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'],
    ['monthly', '2026-02-28T23:59:59Z', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z'],
    ['monthly', '2028-02-29T23:59:59Z', '2028-02-01T00:00:00Z', '2028-03-01T00:00:00Z'],
    ['monthly', '2026-12-31T23:59:59Z', '2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z'],
    ['monthly', '2026-01-31T10:00:00Z', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'],
  ];
  test.each(cases)('%s at %s starts %s and ends %s', (schedule, now, start, next) => {
    expect(periodStart(schedule, at(now)).toISOString()).toBe(at(start).toISOString());
    expect(nextPeriodStart(schedule, at(now)).toISOString()).toBe(at(next).toISOString());
    expect(periodKey(schedule, at(now))).toBe(start.slice(0, 10));
  });

  test('the boundary instant belongs to the new period; the millisecond before to the old one', () => {
    for (const schedule of ['daily', 'weekly', 'monthly'] as const) {
      const boundary = nextPeriodStart(schedule, at('2026-05-20T12:00:00Z'));
      const before = new Date(boundary.getTime() - 1);
      expect(periodStart(schedule, boundary).getTime()).toBe(boundary.getTime());
      expect(nextPeriodStart(schedule, before).getTime()).toBe(boundary.getTime());
      expect(periodKey(schedule, before)).not.toBe(periodKey(schedule, boundary));
    }
  });
});
