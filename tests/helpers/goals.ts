import type { Goal, ProgressRow } from '../../src/domain/types.ts';

/** A goal with sensible defaults; override what the test is about. */
export function makeGoal(overrides: Partial<Goal> & { targetValue?: number; statCode?: string } = {}): Goal {
  const { targetValue = 10, statCode = 'enemy_kills', ...rest } = overrides;
  return {
    goalId: 'goal-a',
    challengeId: 'challenge-a',
    name: 'Goal A',
    description: '',
    type: 'absolute',
    daily: false,
    progressMode: 'absolute',
    rotation: null,
    eventSource: 'statistic',
    defaultAssigned: false,
    requirement: { statCode, operator: '>=', targetValue },
    reward: { type: 'ITEM', rewardId: 'bronze_sword', quantity: 1 },
    prerequisites: [],
    ...rest,
  };
}

export function makeRow(overrides: Partial<ProgressRow> = {}): ProgressRow {
  return {
    goalId: 'goal-a',
    progress: 0,
    status: 'not_started',
    isActive: true,
    assignedAt: new Date('2026-01-01T00:00:00Z'),
    expiresAt: null,
    completedAt: null,
    claimedAt: null,
    progressDay: null,
    baselineValue: null,
    periodStart: null,
    ...overrides,
  };
}
