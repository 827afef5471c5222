import { describe, expect, test } from 'bun:test';
import { loadChallengeConfig } from '../../src/config/challenge-config.ts';
import { createCatalog } from '../../src/domain/catalog.ts';
import { afterFailure, notificationBody } from '../../src/domain/outbox-delivery.ts';
import type { OutboxMessage } from '../../src/domain/outbox-message.ts';

const catalog = createCatalog(loadChallengeConfig('config/challenges.test.json'));
const message: OutboxMessage = {
  id: '42',
  type: 'goal.completed',
  occurredAt: new Date('2026-05-01T12:00:00.789Z'),
  namespace: 'ns',
  userId: 'alice',
  challengeId: 'starter-challenge',
  goalId: 'defeat-10-enemies',
  progress: 10,
  status: 'completed',
};

describe('notificationBody', () => {
  test('the message in the API spellings, with the reward in force', () => {
    expect(notificationBody(message, catalog)).toEqual({
      id: '42',
      type: 'goal.completed',
      occurredAt: '2026-05-01T12:00:00Z',
      namespace: 'ns',
      userId: 'alice',
      challengeId: 'starter-challenge',
      goalId: 'defeat-10-enemies',
      progress: 10,
      status: 'completed',
      reward: { type: 'ITEM', rewardId: 'bronze_sword', quantity: 1 },
    });
  });

  test.each([
    ['a goal no longer configured', { goalId: 'gone' }],
    ['a goal now in another challenge', { challengeId: 'progression' }],
  ])('reward null for %s', (_, change) => {
    expect(notificationBody({ ...message, ...change }, catalog).reward).toBeNull();
  });
});

describe('afterFailure', () => {
  const policy = { maxAttempts: 4, initialDelayMs: 1_000, maxDelayMs: 5_000 };

  test.each([
    [1, 500, 1_000],
    [2, 1_000, 2_000],
    [3, 2_000, 4_000],
  ])('after attempt %i: retry in %i to %i ms (capped exponential, equal jitter)', (attempts, low, high) => {
    expect(afterFailure(policy, attempts, undefined, () => 0)).toEqual({ kind: 'retry', delayMs: low });
    expect(afterFailure(policy, attempts, undefined, () => 1)).toEqual({ kind: 'retry', delayMs: high });
  });

  test('the cap holds for late attempts', () => {
    expect(afterFailure({ ...policy, maxAttempts: 50 }, 30, undefined, () => 1)).toEqual({
      kind: 'retry',
      delayMs: 5_000,
    });
  });

  test("the receiver's Retry-After, never past the cap", () => {
    expect(afterFailure(policy, 1, 3_000)).toEqual({ kind: 'retry', delayMs: 3_000 });
    expect(afterFailure(policy, 1, 60_000)).toEqual({ kind: 'retry', delayMs: 5_000 });
  });

  test('parked once the attempts are used up', () => {
    expect(afterFailure(policy, 4, undefined)).toEqual({ kind: 'park' });
    expect(afterFailure({ ...policy, maxAttempts: 1 }, 1, 0)).toEqual({ kind: 'park' });
  });
});
