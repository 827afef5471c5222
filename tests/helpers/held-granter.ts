/** A reward backend the test paces by hand, for claims whose grant must be slow at a chosen moment. */
import type { GrantRequest, RewardGranter } from '../../src/rewards/reward-granter.ts';

/**
 * A recording granter whose n-th call waits until the test calls `release(n)` (or 5 s pass, so a
 * broken implementation fails the assertions instead of hanging the test).
 */
export function heldGranter() {
  const calls: GrantRequest[] = [];
  const gates = Array.from({ length: 4 }, () => Promise.withResolvers<void>());
  const safety = setTimeout(() => {
    for (const gate of gates) gate.resolve();
  }, 5_000);
  const granter: RewardGranter = {
    mode: 'mock',
    grant: async (request) => {
      const gate = gates[calls.length];
      calls.push(request);
      await gate?.promise;
    },
  };
  return {
    granter,
    calls,
    release: (call: number) => gates[call]?.resolve(),
    done: () => clearTimeout(safety),
  };
}

/** Resolves once `condition` holds; fails after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) await Bun.sleep(5);
  if (!condition()) throw new Error(`condition not met within ${timeoutMs} ms`);
}
