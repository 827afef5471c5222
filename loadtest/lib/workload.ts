/**
 * The original's load-test challenge set: 10 challenges × 50 goals, stat codes cycling through
 * login_count, enemy_kills, games_played, headshots, wins with progressive targets, and the first
 * 10 goals of each challenge default-assigned (100 of 500).
 */
export const STAT_CODES = ['login_count', 'enemy_kills', 'games_played', 'headshots', 'wins'] as const;

const TARGET_STEP: Record<(typeof STAT_CODES)[number], number> = {
  login_count: 1,
  enemy_kills: 10,
  games_played: 2,
  headshots: 5,
  wins: 1,
};

export interface WorkloadOptions {
  readonly challenges?: number;
  readonly goalsPerChallenge?: number;
  readonly defaultsPerChallenge?: number;
  /**
   * Adds one default-assigned `increment` login goal with an unreachable target, so the database
   * holds an exact count of every applied login per user: the load test's loss check compares it
   * with the logins the service acknowledged.
   */
  readonly auditGoal?: boolean;
  /** `rotating`: a third of the default goals (goals 3, 6, 9 of each challenge) rotate daily with relative progress. */
  readonly variant?: WorkloadVariant;
}

export const WORKLOAD_VARIANTS = ['original', 'rotating'] as const;
export type WorkloadVariant = (typeof WORKLOAD_VARIANTS)[number];

/** Daily, starting over each period and claimable again: the original's shipped rotating goals. */
const DAILY_ROTATION = {
  enabled: true,
  type: 'global',
  schedule: 'daily',
  onExpiry: { resetProgress: true, allowReselection: true },
};

export const AUDIT_GOAL_ID = 'audit-login-count';

export function generateChallengeConfig(options: WorkloadOptions = {}) {
  const challengeCount = options.challenges ?? 10;
  const goalCount = options.goalsPerChallenge ?? 50;
  const defaults = options.defaultsPerChallenge ?? 10;
  // The rotating variant is written in the original's current format, where `type` has no meaning.
  const rotating = options.variant === 'rotating';
  const challenges = [];
  for (let c = 1; c <= challengeCount; c++) {
    const challengeId = `challenge-${String(c).padStart(3, '0')}`;
    const goals = [];
    for (let g = 1; g <= goalCount; g++) {
      const statCode = STAT_CODES[(g - 1) % STAT_CODES.length] ?? 'wins';
      const rotates = rotating && g <= defaults && g % 3 === 0;
      goals.push({
        goalId: `${challengeId}-goal-${String(g).padStart(2, '0')}`,
        name: `Challenge ${c} goal ${g}`,
        description: `Reach ${TARGET_STEP[statCode] * g} ${statCode}`,
        ...(rotating ? {} : { type: 'absolute' }),
        eventSource: statCode === 'login_count' ? 'login' : 'statistic',
        defaultAssigned: g <= defaults,
        requirement: {
          statCode,
          operator: '>=',
          targetValue: TARGET_STEP[statCode] * g,
          ...(rotating ? { progressMode: rotates ? 'relative' : 'absolute' } : {}),
        },
        ...(rotates ? { rotation: DAILY_ROTATION } : {}),
        reward:
          g % 10 === 0
            ? { type: 'WALLET', rewardId: 'GEMS', quantity: 50 * (g / 10) }
            : g % 5 === 0
              ? { type: 'ITEM', rewardId: 'LOOTBOX_SILVER', quantity: 1 }
              : { type: 'WALLET', rewardId: 'GOLD', quantity: 10 * g },
        prerequisites: [],
      });
    }
    challenges.push({
      challengeId,
      name: `Load Test Challenge ${c}`,
      description: 'Generated workload',
      goals,
    });
  }
  if (options.auditGoal) {
    challenges.push({
      challengeId: 'audit',
      name: 'Load test audit',
      description: 'Counts every applied login',
      goals: [
        {
          goalId: AUDIT_GOAL_ID,
          name: 'Every login',
          description: 'Never completes',
          ...(rotating ? { eventCounting: 'each' } : { type: 'increment' }),
          eventSource: 'login',
          defaultAssigned: true,
          requirement: { statCode: 'login_count', operator: '>=', targetValue: 2_147_483_647 },
          reward: { type: 'WALLET', rewardId: 'GOLD', quantity: 1 },
          prerequisites: [],
        },
      ],
    });
  }
  return { challenges };
}

/** The original's fixture users: user-000001 … user-0NNNNN. */
export const userId = (n: number) => `user-${String(n).padStart(6, '0')}`;

/** A goal every event run can claim: goal 01 of each challenge needs one login. */
export const claimableGoal = (challenge: number) => {
  const challengeId = `challenge-${String(challenge).padStart(3, '0')}`;
  return { challengeId, goalId: `${challengeId}-goal-01` };
};

/** A goal that is not default-assigned, for activation toggles (goals 11–50). */
export const optionalGoal = (challenge: number, goal: number) => {
  const challengeId = `challenge-${String(challenge).padStart(3, '0')}`;
  return { challengeId, goalId: `${challengeId}-goal-${String(goal).padStart(2, '0')}` };
};
