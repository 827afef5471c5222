import { describe, expect, test } from 'bun:test';
import { createRewardGranter } from '../../src/rewards/create-granter.ts';
import type { RewardOptions } from '../../src/rewards/reward-granter.ts';

describe('createRewardGranter', () => {
  test.each<RewardOptions>([
    { mode: 'mock' },
    { mode: 'ags', baseUrl: 'https://demo.accelbyte.io', clientId: 'id', clientSecret: 'secret' },
    { mode: 'webhook', url: 'https://rewards.example.com/grant', secret: 'secret' },
  ])('builds the $mode granter', (options) => {
    expect(createRewardGranter(options).mode).toBe(options.mode);
  });

  test('an unknown mode is refused without echoing the other options', () => {
    const options = { mode: 'sdk', clientSecret: 'do-not-print' } as unknown as RewardOptions;
    let message = '';
    try {
      createRewardGranter(options);
    } catch (error) {
      message = String(error);
    }
    expect(message).toContain("Unknown reward mode 'sdk'");
    expect(message).not.toContain('do-not-print');
  });
});
