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
    });
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
