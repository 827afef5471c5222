/**
 * The original's current configuration format: `requirement.progressMode`, `rotation`, and the older
 * `type` key its goals still carry (which it ignores). tests/fixtures/original-current-challenges.json
 * has the shape and goals of the original's shipped configuration (reference §13).
 */
import { describe, expect, test } from 'bun:test';
import { ConfigError, loadChallengeConfig, parseChallengeConfig } from '../../src/config/challenge-config.ts';
import type { Goal } from '../../src/domain/types.ts';

const ORIGINAL = 'tests/fixtures/original-current-challenges.json';
const goals = (challenges: ReturnType<typeof loadChallengeConfig>) =>
  new Map(challenges.flatMap((challenge) => challenge.goals).map((goal) => [goal.goalId, goal]));

const base = (goal: Record<string, unknown>, requirement: Record<string, unknown> = {}) => ({
  challenges: [
    {
      challengeId: 'c',
      name: 'C',
      goals: [
        {
          goalId: 'g',
          name: 'G',
          eventSource: 'login',
          requirement: { statCode: 'login_count', operator: '>=', targetValue: 2, ...requirement },
          reward: { type: 'ITEM', rewardId: 'x', quantity: 1 },
          ...goal,
        },
      ],
    },
  ],
});
const parsed = (document: unknown) => {
  const warnings: string[] = [];
  const [challenge] = parseChallengeConfig(document, 'f.json', { onWarning: (w) => warnings.push(w) });
  return { goal: challenge?.goals[0] as Goal, warnings };
};
const problem = (document: unknown) => {
  try {
    parseChallengeConfig(document, 'f.json');
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
  }
  return 'no error';
};

describe("the original's shipped configuration", () => {
  test('loads unchanged, with one warning naming the goals whose "type" it ignores', () => {
    const warnings: string[] = [];
    const loaded = goals(loadChallengeConfig(ORIGINAL, { onWarning: (w) => warnings.push(w) }));
    expect(loaded.size).toBe(24);
    expect(warnings).toHaveLength(1);
    for (const id of [
      'complete-tutorial',
      'login-today',
      'daily-login',
      'daily-10-kills',
      'daily-20-kills',
    ]) {
      expect(warnings[0]).toContain(`"${id}"`);
    }
    // As the original reads it: a goal with type "daily" and a login source is a plain login counter.
    expect(loaded.get('daily-login')).toMatchObject({
      type: 'absolute',
      progressMode: 'absolute',
      rotation: null,
    });
    expect(loaded.get('daily-challenges-goal-01')).toMatchObject({
      type: 'absolute',
      progressMode: 'relative',
      rotation: { schedule: 'daily', resetProgress: true, allowReselection: true },
    });
    expect(loaded.get('weekly-wins-no-reset')?.rotation).toEqual({
      schedule: 'weekly',
      resetProgress: false,
      allowReselection: false,
    });
    expect(loaded.get('monthly-kills-goal')?.rotation?.schedule).toBe('monthly');
  });
});

describe('which keys choose the counting model', () => {
  test('without the original\'s current keys, "type" keeps our meaning', () => {
    expect(parsed(base({ type: 'increment', daily: true })).goal).toMatchObject({
      type: 'increment',
      daily: true,
    });
    expect(parsed(base({ type: 'daily' })).goal).toMatchObject({ type: 'daily' });
    expect(parsed(base({ type: 'daily' })).warnings).toEqual([]);
  });

  test('with them, "type" is ignored (warned) and eventCounting offers our models', () => {
    const m5 = (goal: Record<string, unknown>) => base(goal, { progressMode: 'absolute' });
    expect(parsed(m5({ type: 'daily' }))).toMatchObject({
      goal: { type: 'absolute' },
      warnings: [expect.stringContaining('"g"')],
    });
    expect(parsed(m5({ eventCounting: 'each' })).goal).toMatchObject({ type: 'increment', daily: false });
    expect(parsed(m5({ eventCounting: 'oncePerDay' })).goal).toMatchObject({
      type: 'increment',
      daily: true,
    });
    expect(parsed(m5({ eventCounting: 'dailyCompletion' })).goal).toMatchObject({ type: 'daily' });
    expect(parsed(base({ event_counting: 'each' })).goal).toMatchObject({ type: 'increment' });
  });

  test('a disabled rotation is ignored; snake_case spellings are accepted', () => {
    const rotation = { enabled: false, type: 'global', schedule: 'daily' };
    expect(parsed(base({ rotation }, { progress_mode: 'relative' })).goal).toMatchObject({
      progressMode: 'relative',
      rotation: null,
    });
    const snake = { enabled: true, type: 'global', schedule: 'weekly', on_expiry: { reset_progress: true } };
    expect(parsed(base({ rotation: snake }, { progressMode: 'relative' })).goal.rotation).toEqual({
      schedule: 'weekly',
      resetProgress: true,
      allowReselection: false,
    });
  });

  test.each([
    [
      'eventCounting with type',
      base({ type: 'increment', eventCounting: 'each' }),
      'goals[0].eventCounting: cannot be combined with "type"',
    ],
    [
      'eventCounting with relative progress',
      base({ eventCounting: 'each' }, { progressMode: 'relative' }),
      'goals[0].eventCounting: cannot be combined with requirement.progressMode "relative"',
    ],
    [
      'rotation on an absolute goal',
      base({ rotation: { enabled: true, type: 'global', schedule: 'daily' } }),
      'goals[0].rotation: an enabled rotation needs requirement.progressMode "relative"',
    ],
    [
      'rotation without a schedule',
      base({ rotation: { enabled: true, type: 'global' } }, { progressMode: 'relative' }),
      'goals[0].rotation.schedule: is required',
    ],
    [
      'rotation of another type',
      base(
        { rotation: { enabled: true, type: 'per-user', schedule: 'daily' } },
        { progressMode: 'relative' },
      ),
      'goals[0].rotation.type: must be exactly "global"',
    ],
    [
      'an unknown schedule',
      base({ rotation: { enabled: true, type: 'global', schedule: 'hourly' } }, { progressMode: 'relative' }),
      'goals[0].rotation.schedule: must be one of "daily", "weekly", "monthly"',
    ],
    [
      'an unknown progress mode',
      base({}, { progressMode: 'delta' }),
      'requirement.progressMode: must be one of',
    ],
    [
      'an unknown key in onExpiry',
      base(
        { rotation: { enabled: true, type: 'global', schedule: 'daily', onExpiry: { reset: true } } },
        {
          progressMode: 'relative',
        },
      ),
      'rotation.onExpiry.reset: unknown key',
    ],
  ])('rejects %s with a path-precise error', (_name, document, message) => {
    expect(problem(document)).toContain(message);
  });
});
