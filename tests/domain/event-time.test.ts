import { describe, expect, test } from 'bun:test';
import { eventInstant, MAX_EVENT_AGE_MS } from '../../src/domain/event-time.ts';

const RECEIVED = Date.parse('2026-05-02T00:01:00Z');

describe('eventInstant', () => {
  test.each([
    [
      'a timestamp a few minutes before receipt',
      Date.parse('2026-05-01T23:59:00Z'),
      Date.parse('2026-05-01T23:59:00Z'),
    ],
    ['a timestamp exactly at receipt', RECEIVED, RECEIVED],
    ['a timestamp at the age limit', RECEIVED - MAX_EVENT_AGE_MS, RECEIVED - MAX_EVENT_AGE_MS],
    ['a timestamp older than the limit', RECEIVED - MAX_EVENT_AGE_MS - 1, RECEIVED],
    ['a timestamp after receipt (sender clock ahead)', RECEIVED + 1, RECEIVED],
    ['no timestamp', undefined, RECEIVED],
    ['an unparseable timestamp', Number.NaN, RECEIVED],
  ])('%s', (_name, timestamp, expected) => {
    expect(eventInstant(timestamp, RECEIVED)).toBe(expected);
  });
});
