import { describe, expect, test } from 'bun:test';
import { AppError } from '../../src/domain/errors.ts';
import { parseLoginEvent, parseStatEvent } from '../../src/events/incoming-event.ts';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof AppError ? error.code : 'not an AppError';
  }
  return undefined;
}

describe('parseLoginEvent', () => {
  test('takes id, user and namespace', () => {
    expect(parseLoginEvent({ id: 'e1', user_id: 'u1', namespace: 'ns', payload: null })).toEqual({
      kind: 'login',
      id: 'e1',
      userId: 'u1',
      namespace: 'ns',
      timestampMs: undefined,
    });
  });

  test("takes the platform's timestamp, with fractions down to nanoseconds; garbage reads as none", () => {
    const at = (timestamp: string) => parseLoginEvent({ user_id: 'u1', timestamp }).timestampMs;
    expect(at('2026-03-10T23:59:30Z')).toBe(Date.parse('2026-03-10T23:59:30Z'));
    expect(at('2026-03-10T23:59:30.123456789Z')).toBe(Date.parse('2026-03-10T23:59:30.123Z'));
    expect(at('2026-03-11T01:59:30+02:00')).toBe(Date.parse('2026-03-10T23:59:30Z'));
    expect(at('yesterday')).toBeUndefined();
    expect(at('')).toBeUndefined();
  });

  test('a missing id is the empty string', () => {
    expect(parseLoginEvent({ user_id: 'u1', namespace: 'ns' })).toMatchObject({ id: '' });
  });

  test.each([[{ user_id: '' }], [{}], [null], ['text']])('rejects %p as INVALID_REQUEST', (message) => {
    expect(codeOf(() => parseLoginEvent(message))).toBe('INVALID_REQUEST');
  });
});

describe('parseStatEvent', () => {
  const valid = {
    id: 'e2',
    user_id: 'u2',
    namespace: 'ns',
    payload: { stat_code: 'kills', latest_value: 7.5 },
  };

  test('takes stat code and latest value', () => {
    expect(parseStatEvent(valid)).toEqual({
      kind: 'statistic',
      id: 'e2',
      userId: 'u2',
      namespace: 'ns',
      statCode: 'kills',
      value: 7.5,
      inc: 0,
      timestampMs: undefined,
    });
  });

  test("takes the update's own increment; absent or not a number is 0", () => {
    expect(parseStatEvent({ ...valid, payload: { stat_code: 'k', latest_value: 9, inc: 3 } })).toMatchObject({
      value: 9,
      inc: 3,
    });
    expect(
      parseStatEvent({ ...valid, payload: { stat_code: 'k', latest_value: 9, inc: 'x' } }),
    ).toMatchObject({
      inc: 0,
    });
  });

  test('keeps negative values and makes a non-number NaN (the domain ignores both)', () => {
    expect(parseStatEvent({ ...valid, payload: { stat_code: 'k', latest_value: -3 } })).toMatchObject({
      value: -3,
    });
    expect(parseStatEvent({ ...valid, payload: { stat_code: 'k', latest_value: 'x' } })).toMatchObject({
      value: Number.NaN,
    });
  });

  test.each([
    ['empty user', { ...valid, user_id: '' }],
    ['no payload', { ...valid, payload: null }],
    ['empty stat code', { ...valid, payload: { stat_code: '', latest_value: 1 } }],
  ])('rejects %s as INVALID_REQUEST', (_name, message) => {
    expect(codeOf(() => parseStatEvent(message))).toBe('INVALID_REQUEST');
  });
});

describe('ids that would fail the database are refused at the edge', () => {
  const stat = (fields: Record<string, unknown>, payload: Record<string, unknown> = {}) => ({
    id: 'e',
    user_id: 'u',
    namespace: 'ns',
    ...fields,
    payload: { stat_code: 'kills', latest_value: 1, ...payload },
  });

  test.each([
    ['NUL in the user id', stat({ user_id: 'u\u0000x' })],
    ['NUL in the event id', stat({ id: 'e\u0000' })],
    ['NUL in the stat code', stat({}, { stat_code: 'kills\u0000' })],
    ['a control character in the user id', stat({ user_id: 'u\u001b[31m' })],
    ['a C1 control character in the event id', stat({ id: 'e\u0085' })],
    ['an id of 10,000 characters', stat({ id: 'x'.repeat(10_000) })],
    ['a user id of 101 characters', stat({ user_id: 'u'.repeat(101) })],
    ['a stat code of 257 characters', stat({}, { stat_code: 'k'.repeat(257) })],
  ])('%s → INVALID_REQUEST', (_name, message) => {
    expect(codeOf(() => parseStatEvent(message))).toBe('INVALID_REQUEST');
    expect(codeOf(() => parseLoginEvent(message))).toBe(
      (message.payload.stat_code as string).length > 256 ||
        (message.payload.stat_code as string).includes('\u0000')
        ? undefined
        : 'INVALID_REQUEST',
    );
  });

  test('the message names the field and the problem', () => {
    expect(() => parseLoginEvent({ user_id: 'u', id: 'x'.repeat(300) })).toThrow(
      'id is 300 characters (max 256)',
    );
    expect(() => parseLoginEvent({ user_id: 'a\u0000b' })).toThrow('userId contains control characters');
  });

  test('ids at the limits are accepted', () => {
    expect(
      parseStatEvent(stat({ user_id: 'u'.repeat(100), id: 'e'.repeat(256) }, { stat_code: 'k'.repeat(256) })),
    ).toMatchObject({ kind: 'statistic' });
  });
});
