import { createAgsGranter } from './ags-granter.ts';
import { createMockGranter } from './mock-granter.ts';
import type { GrantHooks, RewardGranter, RewardOptions } from './reward-granter.ts';
import { createWebhookGranter } from './webhook-granter.ts';

/** Builds the granter for `REWARD_MODE`. Throws on invalid options (bad URL, empty secret, bad policy). */
export function createRewardGranter(options: RewardOptions, hooks: GrantHooks = {}): RewardGranter {
  switch (options.mode) {
    case 'mock':
      return createMockGranter(options, hooks);
    case 'ags':
      return createAgsGranter(options, hooks);
    case 'webhook':
      return createWebhookGranter(options, hooks);
    default: {
      const unknown: never = options;
      // Only the mode: the rest of the options may hold credentials.
      throw new Error(
        `Unknown reward mode '${String((unknown as { mode: unknown }).mode)}' (expected mock, ags or webhook)`,
      );
    }
  }
}
