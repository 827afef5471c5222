import type { Reward } from './types.ts';

/**
 * A reward as JSON, in the original's key order: what the API shows, and what the claims ledger
 * stores (and a retried claim grants). A copy, so nothing else that rides on a config object leaks.
 */
export const rewardJson = (reward: Reward) => ({
  type: reward.type,
  rewardId: reward.rewardId,
  quantity: reward.quantity,
});
