/** A granter that needs no backend: for `bun start`, load tests and claim-flow tests. */
import type {
  GrantHooks,
  GrantRequest,
  LatencyRange,
  MockRewardOptions,
  RewardGranter,
} from './reward-granter.ts';

export interface MockRewardGranter extends RewardGranter {
  readonly mode: 'mock';
  /** Granted requests in order; stays empty unless the granter was created with `record: true`. */
  readonly grants: readonly GrantRequest[];
}

export function createMockGranter(
  options: Omit<MockRewardOptions, 'mode'> = {},
  hooks: GrantHooks = {},
): MockRewardGranter {
  const latency = options.latencyMs ?? { min: 0, max: 0 };
  assertLatencyRange(latency);
  const grants: GrantRequest[] = [];

  return {
    mode: 'mock',
    grants,
    async grant(request) {
      const delayMs = latency.min + Math.random() * (latency.max - latency.min);
      if (delayMs > 0) await Bun.sleep(delayMs);
      const error = options.failWith?.(request);
      if (error) {
        hooks.onAttempt?.('failed', `mock ${describe(request)}: ${error.message}`);
        throw error;
      }
      if (options.record) grants.push(request);
      hooks.onAttempt?.('granted', `mock ${describe(request)}`);
    },
  };
}

const describe = (request: GrantRequest) =>
  `${request.reward.type} ${request.reward.rewardId} x${request.reward.quantity} to user '${request.userId}' for goal '${request.goalId}'`;

/** Parses `MOCK_REWARD_LATENCY_MS`: whole milliseconds, either `"100"` or `"50-200"`. */
export function parseLatencyRange(text: string): LatencyRange {
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  const min = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  const max = match?.[2] === undefined ? min : Number(match[2]);
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
    throw new Error(
      `Invalid latency range '${text}': expected whole milliseconds as "<ms>" or "<min>-<max>" with min <= max, e.g. "50-200"`,
    );
  }
  return { min, max };
}

function assertLatencyRange(range: LatencyRange): void {
  const valid = Number.isFinite(range.min) && Number.isFinite(range.max) && range.min >= 0;
  if (!valid || range.min > range.max) {
    throw new Error(
      `Invalid mock reward latency ${range.min}-${range.max} ms: need 0 <= min <= max (finite milliseconds)`,
    );
  }
}
