import { describe, expect, test } from 'bun:test';
import { type ClaimKeyParts, claimIdempotencyKey } from '../../src/domain/claim-key.ts';

const parts = (overrides: Partial<ClaimKeyParts>): ClaimKeyParts => ({
  namespace: 'ns',
  userId: 'user-1',
  goalId: 'goal-1',
  period: 'once',
  ...overrides,
});

describe('claimIdempotencyKey', () => {
  test.each([
    { name: 'plain ids: the plain join', input: parts({}), key: 'ns:user-1:goal-1:once' },
    {
      name: 'a daily period',
      input: parts({ period: '2026-05-10' }),
      key: 'ns:user-1:goal-1:2026-05-10',
    },
    {
      name: 'uuid-like user ids are unchanged',
      input: parts({ userId: '3f2a9c1e8b7d4e6f9a0b1c2d3e4f5a6b' }),
      key: 'ns:3f2a9c1e8b7d4e6f9a0b1c2d3e4f5a6b:goal-1:once',
    },
    {
      name: 'other punctuation is unchanged',
      input: parts({ userId: 'a/b c+d@e.f', goalId: 'g_h-i.j' }),
      key: 'ns:a/b c+d@e.f:g_h-i.j:once',
    },
    { name: '":" in the user id', input: parts({ userId: 'a:b' }), key: 'ns:a%3Ab:goal-1:once' },
    { name: '":" in the goal id', input: parts({ goalId: 'b:c' }), key: 'ns:user-1:b%3Ac:once' },
    { name: '":" in the namespace', input: parts({ namespace: 'n:s' }), key: 'n%3As:user-1:goal-1:once' },
    { name: '"%" is escaped first', input: parts({ userId: '%3A' }), key: 'ns:%253A:goal-1:once' },
    { name: 'empty parts stay empty', input: parts({ userId: '' }), key: 'ns::goal-1:once' },
  ])('$name', ({ input, key }) => {
    expect(claimIdempotencyKey(input)).toBe(key);
  });

  test.each([
    [
      'user "a:b" + goal "c" vs user "a" + goal "b:c"',
      parts({ userId: 'a:b', goalId: 'c' }),
      parts({ userId: 'a', goalId: 'b:c' }),
    ],
    [
      'namespace "n:u" + user "x" vs namespace "n" + user "u:x"',
      parts({ namespace: 'n:u', userId: 'x' }),
      parts({ namespace: 'n', userId: 'u:x' }),
    ],
    ['user ":" vs user "%3A"', parts({ userId: ':' }), parts({ userId: '%3A' })],
    [
      'goal "g:once" + period "once" vs goal "g" + period "once:once"',
      parts({ goalId: 'g:once' }),
      parts({ goalId: 'g', period: 'once:once' }),
    ],
  ])('distinct claims get distinct keys: %s', (_, left, right) => {
    expect(claimIdempotencyKey(left)).not.toBe(claimIdempotencyKey(right));
  });

  test('the key splits back into exactly its four parts', () => {
    const input = parts({ namespace: 'n:%', userId: '::', goalId: '%%:', period: '2026-01-02' });
    const decoded = claimIdempotencyKey(input).split(':').map(decodeURIComponent);
    expect(decoded).toEqual([input.namespace, input.userId, input.goalId, input.period]);
  });

  test('a later earning of the same goal and period gets its number appended; the first keeps the plain key', () => {
    expect(claimIdempotencyKey(parts({ earning: 1 }))).toBe(claimIdempotencyKey(parts({})));
    expect(claimIdempotencyKey(parts({ earning: 2 }))).toBe(`${claimIdempotencyKey(parts({}))}:2`);
    expect(claimIdempotencyKey(parts({ earning: 3 }))).not.toBe(claimIdempotencyKey(parts({ earning: 2 })));
    // Still unambiguous: a period containing ":2" is escaped, an earning is not.
    expect(claimIdempotencyKey(parts({ period: 'once:2' }))).not.toBe(
      claimIdempotencyKey(parts({ earning: 2 })),
    );
  });
});
