import { describe, expect, test } from 'bun:test';
import { createMockGranter, parseLatencyRange } from '../../src/rewards/mock-granter.ts';
import { type GrantRequest, RewardGrantError } from '../../src/rewards/reward-granter.ts';
import { recordAttempts, rejectionOf } from './fake-server.ts';

const request = (goalId: string): GrantRequest => ({
  userId: 'user-1',
  namespace: 'test-ns',
  challengeId: 'daily',
  goalId,
  reward: { type: 'WALLET', rewardId: 'GOLD', quantity: 10 },
  idempotencyKey: `user-1:${goalId}`,
});

describe('mock granter', () => {
  test('succeeds at once by default and reports each grant', async () => {
    const { hooks, outcomes } = recordAttempts();
    const granter = createMockGranter({}, hooks);
    const started = performance.now();
    await granter.grant(request('a'));
    await granter.grant(request('b'));
    expect(performance.now() - started).toBeLessThan(50);
    expect(granter.mode).toBe('mock');
    expect(outcomes()).toEqual(['granted', 'granted']);
    expect(granter.grants).toEqual([]);
  });

  test('waits a latency within the configured range', async () => {
    const granter = createMockGranter({ latencyMs: { min: 30, max: 60 } });
    for (const goalId of ['a', 'b', 'c', 'd']) {
      const started = performance.now();
      await granter.grant(request(goalId));
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(28);
      expect(elapsed).toBeLessThan(120);
    }
  });

  test('records grants when asked, and fails the grants failWith picks', async () => {
    const { hooks, outcomes } = recordAttempts();
    const granter = createMockGranter(
      {
        record: true,
        failWith: (grant) =>
          grant.goalId === 'broken'
            ? new RewardGrantError('simulated outage', { permanent: false })
            : undefined,
      },
      hooks,
    );
    await granter.grant(request('a'));
    const error = await rejectionOf(granter.grant(request('broken')));
    await granter.grant(request('b'));

    expect(error).toMatchObject({ permanent: false, message: 'simulated outage' });
    expect(granter.grants.map((grant) => grant.goalId)).toEqual(['a', 'b']);
    expect(outcomes()).toEqual(['granted', 'failed', 'granted']);
  });

  test('refuses an impossible latency range', () => {
    expect(() => createMockGranter({ latencyMs: { min: 50, max: 10 } })).toThrow('min <= max');
    expect(() => createMockGranter({ latencyMs: { min: -1, max: 10 } })).toThrow('0 <= min');
  });
});

describe('parseLatencyRange', () => {
  test.each([
    ['100', 100, 100],
    ['0', 0, 0],
    ['50-200', 50, 200],
    [' 5 - 10 ', 5, 10],
    ['7-7', 7, 7],
  ])('%p → %d-%d ms', (text, min, max) => {
    expect(parseLatencyRange(text)).toEqual({ min, max });
  });

  test.each(['', ' ', 'abc', '200-50', '-5', '1.5', '5-', '-', '5-10-20', '10ms', '0x10'])(
    '%p is refused with a message showing the expected format',
    (text) => {
      expect(() => parseLatencyRange(text)).toThrow(`Invalid latency range '${text}'`);
      expect(() => parseLatencyRange(text)).toThrow('"50-200"');
    },
  );
});
