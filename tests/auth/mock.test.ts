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

  test('rejects an id over 100 characters', async () => {
    const { reasons, onReject } = reasonLog();
    const authenticate = createAuthenticator({ mode: 'mock', onReject });
    const headers = new Headers({ 'x-mock-user-id': 'x'.repeat(101) });
    await expectRejected(authenticate(headers), reasons, 'x-mock-user-id is 101 characters (max 100)');
  });

  test('refuses an empty default user at construction', () => {
    expect(() => createAuthenticator({ mode: 'mock', defaultUserId: '' })).toThrow(RangeError);
  });
});
