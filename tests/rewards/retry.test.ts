import { describe, expect, test } from 'bun:test';
import { backoffDelayMs } from '../../src/domain/backoff.ts';
import {
  assertRetryPolicy,
  classifyStatus,
  DEFAULT_RETRY_POLICY,
  parseRetryAfterMs,
} from '../../src/rewards/retry.ts';

describe('classifyStatus', () => {
  test.each([
    [200, 'ok'],
    [201, 'ok'],
    [204, 'ok'],
    [302, 'permanent'],
    [400, 'permanent'],
    [401, 'permanent'],
    [403, 'permanent'],
    [404, 'permanent'],
    [408, 'retry'],
    [409, 'permanent'],
    [422, 'permanent'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
  ])('%d → %s', (status, expected) => {
    expect(classifyStatus(status)).toBe(expected as ReturnType<typeof classifyStatus>);
  });
});

describe('backoffDelayMs', () => {
  const policy = { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 1_000, totalTimeoutMs: 10_000 };

  test.each([
    [1, 50, 100],
    [2, 100, 200],
    [3, 200, 400],
    [4, 400, 800],
    [5, 500, 1_000],
    [9, 500, 1_000],
  ])('retry %d waits between %d and %d ms', (retry, low, high) => {
    expect(backoffDelayMs(policy, retry, () => 0)).toBe(low);
    expect(backoffDelayMs(policy, retry, () => 1)).toBe(high);
    const jittered = backoffDelayMs(policy, retry);
    expect(jittered).toBeGreaterThanOrEqual(low);
    expect(jittered).toBeLessThanOrEqual(high);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  test.each([
    [null, undefined],
    ['', undefined],
    ['soon', undefined],
    ['-3', undefined],
    ['0', 0],
    ['3', 3_000],
    [' 2 ', 2_000],
    ['0.5', 500],
    ['Wed, 01 Jan 2025 00:00:07 GMT', 7_000],
    ['Tue, 31 Dec 2024 23:59:00 GMT', 0],
  ])('%p → %p', (value, expected) => {
    expect(parseRetryAfterMs(value, now)).toBe(expected);
  });
});

describe('assertRetryPolicy', () => {
  test('accepts the defaults', () => {
    expect(() => assertRetryPolicy(DEFAULT_RETRY_POLICY)).not.toThrow();
    expect(DEFAULT_RETRY_POLICY).toEqual({
      maxAttempts: 4,
      initialDelayMs: 200,
      maxDelayMs: 2_000,
      totalTimeoutMs: 10_000,
    });
  });

  test.each([
    ['no attempts', { maxAttempts: 0 }],
    ['fractional attempts', { maxAttempts: 1.5 }],
    ['a negative delay', { initialDelayMs: -1 }],
    ['a NaN delay', { maxDelayMs: Number.NaN }],
    ['no total time', { totalTimeoutMs: 0 }],
  ])('refuses %s', (_name, change) => {
    expect(() => assertRetryPolicy({ ...DEFAULT_RETRY_POLICY, ...change })).toThrow(
      'Invalid reward retry policy',
    );
  });
});
