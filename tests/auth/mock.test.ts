import { describe, expect, test } from 'bun:test';
import { createAuthenticator } from '../../src/auth/index.ts';
import { expectRejected, reasonLog } from './expect-rejected.ts';

describe('mock mode', () => {
  const cases: { name: string; headers: Record<string, string>; userId: string }[] = [
    {
      name: 'takes the user from x-mock-user-id',
      headers: { 'x-mock-user-id': 'player-7' },
      userId: 'player-7',
    },
    {
      name: 'matches the header name case-insensitively',
      headers: { 'X-Mock-User-Id': 'player-8' },
      userId: 'player-8',
    },
    { name: 'trims the header value', headers: { 'x-mock-user-id': '  player-9  ' }, userId: 'player-9' },
    { name: 'defaults when the header is absent', headers: {}, userId: 'test-user-123' },
    {
      name: 'defaults when the header is blank',
      headers: { 'x-mock-user-id': '   ' },
      userId: 'test-user-123',
    },
    {
      name: 'ignores any Authorization header',
      headers: { authorization: 'Bearer garbage', 'x-mock-user-id': 'player-10' },
      userId: 'player-10',
    },
    {
      name: 'accepts a 100-character id',
      headers: { 'x-mock-user-id': 'x'.repeat(100) },
      userId: 'x'.repeat(100),
    },
  ];

  for (const { name, headers, userId } of cases) {
    test(name, async () => {
      const authenticate = createAuthenticator({ mode: 'mock' });
      expect(await authenticate(new Headers(headers))).toEqual({ userId });
    });
  }

  test('uses the configured default user', async () => {
    const authenticate = createAuthenticator({ mode: 'mock', defaultUserId: 'load-test-user' });
    expect(await authenticate(new Headers())).toEqual({ userId: 'load-test-user' });
  });

  const MOCK_RULE = 'x-mock-user-id must be 1-100 printable characters';
  const rejected: { name: string; value: string; reason: string }[] = [
    {
      name: 'an id over 100 characters',
      value: 'x'.repeat(101),
      reason: 'x-mock-user-id is 101 characters (max 100)',
    },
    ...['\u0001', '\t', '\u001f', '\u007f', '\u0085'].map((control) => ({
      name: `an id with U+${control.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} inside`,
      value: `player${control}1`,
      reason: 'x-mock-user-id contains control characters',
    })),
  ];
  for (const { name, value, reason } of rejected) {
    test(`rejects ${name}, saying what the header must hold`, async () => {
      const { reasons, onReject } = reasonLog();
      const authenticate = createAuthenticator({ mode: 'mock', onReject });
      await expectRejected(
        authenticate(new Headers({ 'x-mock-user-id': value })),
        reasons,
        reason,
        MOCK_RULE,
      );
    });
  }

  test('refuses an empty or unprintable default user at construction', () => {
    for (const defaultUserId of ['', 'user\u0000']) {
      expect(() => createAuthenticator({ mode: 'mock', defaultUserId })).toThrow(RangeError);
    }
  });
});
