import { describe, expect, test } from 'bun:test';
import { ConfigError, parseChallengeConfig } from '../../src/config/challenge-config.ts';

type Json = Record<string, unknown>;

const requirement = (override: Json = {}): Json => ({
  statCode: 'enemy_kills',
  operator: '>=',
  targetValue: 10,
  ...override,
});
const reward = (override: Json = {}): Json => ({
  type: 'ITEM',
  rewardId: 'bronze_sword',
  quantity: 1,
  ...override,
});
const goal = (goalId: string, override: Json = {}): Json => ({
  goalId,
  name: `Goal ${goalId}`,
  eventSource: 'statistic',
  requirement: requirement(),
  reward: reward(),
  ...override,
});
const challenge = (challengeId: string, goals: Json[], override: Json = {}): Json => ({
  challengeId,
  name: `Challenge ${challengeId}`,
  goals,
  ...override,
});
const config = (...challenges: Json[]): Json => ({ challenges });
/** One valid challenge `c1` holding the given goals. */
const withGoals = (...goals: Json[]): Json => config(challenge('c1', goals));
const without = (object: Json, key: string): Json =>
  Object.fromEntries(Object.entries(object).filter(([k]) => k !== key));

const FILE = 'config/test-case.json';

function problemOf(document: unknown): ConfigError {
  try {
    parseChallengeConfig(document, FILE);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

// [rule, document, JSON path of the problem, fragment of the reason]
const INVALID: [string, unknown, string, string][] = [
  ['document is not an object', [], '', 'must be an object with a "challenges" array (got [])'],
  ['challenges missing', {}, 'challenges', 'is required'],
  ['challenges empty', config(), 'challenges', 'must be a non-empty array of challenges (got [])'],
  [
    'challenges not an array',
    { challenges: {} },
    'challenges',
    'must be a non-empty array of challenges (got an object)',
  ],
  ['unknown top-level key', { ...withGoals(goal('g1')), version: 2 }, 'version', 'unknown key "version"'],
  [
    'unknown challenge key with a typo',
    config({ ...without(challenge('c1', [goal('g1')]), 'name'), nmae: 'Combat' }),
    'challenges[0].nmae',
    'unknown key "nmae" (did you mean "name"?)',
  ],
  [
    'unknown goal key',
    withGoals(goal('g1', { progressMode: 'relative' })),
    'challenges[0].goals[0].progressMode',
    'unknown key "progressMode"',
  ],
  [
    'goal key in the wrong case',
    withGoals(goal('g1', { goalID: 'x' })),
    'challenges[0].goals[0].goalID',
    'did you mean "goalId"?',
  ],
  [
    'unknown requirement key',
    withGoals(goal('g1', { requirement: requirement({ statcode: 'x' }) })),
    'challenges[0].goals[0].requirement.statcode',
    'did you mean "statCode"?',
  ],
  [
    'unknown reward key',
    withGoals(goal('g1', { reward: reward({ sku: 'x' }) })),
    'challenges[0].goals[0].reward.sku',
    'unknown key "sku"',
  ],
  [
    'challengeId missing',
    config(without(challenge('c1', [goal('g1')]), 'challengeId')),
    'challenges[0].challengeId',
    'is required',
  ],
  [
    'challengeId empty',
    config(challenge('', [goal('g1')])),
    'challenges[0].challengeId',
    'must be a non-empty string (got "")',
  ],
  [
    'challengeId not a string',
    config(challenge('c1', [goal('g1')], { challengeId: 42 })),
    'challenges[0].challengeId',
    'must be a non-empty string (got 42)',
  ],
  [
    'duplicate challengeId',
    config(challenge('c1', [goal('g1')]), challenge('c1', [goal('g2')])),
    'challenges[1].challengeId',
    'duplicate challenge id "c1" (also challenges[0])',
  ],
  [
    'challenge name missing',
    config(without(challenge('c1', [goal('g1')]), 'name')),
    'challenges[0].name',
    'is required',
  ],
  [
    'challenge description not a string',
    config(challenge('c1', [goal('g1')], { description: 5 })),
    'challenges[0].description',
    'must be a string (got 5)',
  ],
  ['goals missing', config(without(challenge('c1', []), 'goals')), 'challenges[0].goals', 'is required'],
  ['goals empty', withGoals(), 'challenges[0].goals', 'must be a non-empty array of goals (got [])'],
  [
    'goal not an object',
    config(challenge('c1', ['g1' as unknown as Json])),
    'challenges[0].goals[0]',
    'must be an object (got "g1")',
  ],
  [
    'goalId missing',
    withGoals(without(goal('g1'), 'goalId')),
    'challenges[0].goals[0].goalId',
    'is required',
  ],
  [
    'duplicate goalId across challenges',
    config(challenge('c1', [goal('g1')]), challenge('c2', [goal('g1')])),
    'challenges[1].goals[0].goalId',
    'duplicate goal id "g1" (also challenges[0].goals[0])',
  ],
  ['goal name missing', withGoals(without(goal('g1'), 'name')), 'challenges[0].goals[0].name', 'is required'],
  [
    'goal name blank',
    withGoals(goal('g1', { name: '   ' })),
    'challenges[0].goals[0].name',
    'must be a non-empty string',
  ],
  [
    'type not in the set',
    withGoals(goal('g1', { type: 'weekly' })),
    'challenges[0].goals[0].type',
    'must be one of "absolute", "increment", "daily" (got "weekly")',
  ],
  [
    'daily not a boolean',
    withGoals(goal('g1', { type: 'increment', daily: 'yes' })),
    'challenges[0].goals[0].daily',
    'must be a boolean (got "yes")',
  ],
  [
    'daily on a default (absolute) goal',
    withGoals(goal('g1', { daily: true })),
    'challenges[0].goals[0].daily',
    'only allowed when type is "increment" (type is "absolute")',
  ],
  [
    'daily on a daily goal',
    withGoals(goal('g1', { type: 'daily', daily: true })),
    'challenges[0].goals[0].daily',
    '(type is "daily")',
  ],
  [
    'eventSource missing',
    withGoals(without(goal('g1'), 'eventSource')),
    'challenges[0].goals[0].eventSource',
    'is required',
  ],
  [
    'eventSource not in the set',
    withGoals(goal('g1', { eventSource: 'Login' })),
    'challenges[0].goals[0].eventSource',
    'must be one of "login", "statistic" (got "Login")',
  ],
  [
    'defaultAssigned not a boolean',
    withGoals(goal('g1', { defaultAssigned: 'true' })),
    'challenges[0].goals[0].defaultAssigned',
    'must be a boolean (got "true")',
  ],
  [
    'requirement missing',
    withGoals(without(goal('g1'), 'requirement')),
    'challenges[0].goals[0].requirement',
    'is required',
  ],
  [
    'requirement not an object',
    withGoals(goal('g1', { requirement: 10 })),
    'challenges[0].goals[0].requirement',
    'must be an object (got 10)',
  ],
  [
    'statCode missing on a statistic goal',
    withGoals(goal('g1', { requirement: without(requirement(), 'statCode') })),
    'challenges[0].goals[0].requirement.statCode',
    'is required for statistic goals',
  ],
  [
    'statCode empty on a statistic goal',
    withGoals(goal('g1', { requirement: requirement({ statCode: '' }) })),
    'challenges[0].goals[0].requirement.statCode',
    'must not be empty',
  ],
  [
    'statCode not a string',
    withGoals(goal('g1', { requirement: requirement({ statCode: 7 }) })),
    'challenges[0].goals[0].requirement.statCode',
    'must be a string (got 7)',
  ],
  [
    'operator other than >=',
    withGoals(goal('g1', { requirement: requirement({ operator: '>' }) })),
    'challenges[0].goals[0].requirement.operator',
    'must be exactly ">=" (got ">")',
  ],
  [
    'targetValue missing',
    withGoals(goal('g1', { requirement: without(requirement(), 'targetValue') })),
    'challenges[0].goals[0].requirement.targetValue',
    'is required',
  ],
  ...(
    [
      ['negative', -5, '-5'],
      ['zero', 0, '0'],
      ['fractional', 2.5, '2.5'],
      ['a string', '10', '"10"'],
      ['a boolean', true, 'true'],
      ['beyond int32', 2_147_483_648, '2147483648'],
    ] as const
  ).map(([label, value, shown]): [string, unknown, string, string] => [
    `targetValue ${label}`,
    withGoals(goal('g1', { requirement: requirement({ targetValue: value }) })),
    'challenges[0].goals[0].requirement.targetValue',
    `must be an integer greater than 0 and at most 2147483647 (got ${shown})`,
  ]),
  [
    'reward missing',
    withGoals(without(goal('g1'), 'reward')),
    'challenges[0].goals[0].reward',
    'is required',
  ],
  [
    'reward type not in the set',
    withGoals(goal('g1', { reward: reward({ type: 'item' }) })),
    'challenges[0].goals[0].reward.type',
    'must be one of "ITEM", "WALLET" (got "item")',
  ],
  [
    'rewardId empty',
    withGoals(goal('g1', { reward: reward({ rewardId: '' }) })),
    'challenges[0].goals[0].reward.rewardId',
    'must be a non-empty string',
  ],
  [
    'rewardId missing',
    withGoals(goal('g1', { reward: without(reward(), 'rewardId') })),
    'challenges[0].goals[0].reward.rewardId',
    'is required',
  ],
  [
    'quantity zero',
    withGoals(goal('g1', { reward: reward({ quantity: 0 }) })),
    'challenges[0].goals[0].reward.quantity',
    'must be an integer greater than 0',
  ],
  [
    'quantity fractional',
    withGoals(goal('g1', { reward: reward({ quantity: 1.5 }) })),
    'challenges[0].goals[0].reward.quantity',
    '(got 1.5)',
  ],
  [
    'quantity beyond int32',
    withGoals(goal('g1', { reward: reward({ quantity: 3e9 }) })),
    'challenges[0].goals[0].reward.quantity',
    'at most 2147483647',
  ],
  [
    'prerequisites not an array',
    withGoals(goal('g1', { prerequisites: 'g0' })),
    'challenges[0].goals[0].prerequisites',
    'must be an array of goal ids (got "g0")',
  ],
  [
    'prerequisite not a string',
    withGoals(goal('g1', { prerequisites: [5] })),
    'challenges[0].goals[0].prerequisites[0]',
    'must be a non-empty string (got 5)',
  ],
  [
    'prerequisite names no goal',
    withGoals(goal('g1'), goal('g2', { prerequisites: ['g1', 'nope'] })),
    'challenges[0].goals[1].prerequisites[1]',
    'prerequisite "nope" does not name a goal in any challenge',
  ],
  [
    'prerequisite is the goal itself',
    withGoals(goal('g1', { prerequisites: ['g1'] })),
    'challenges[0].goals[0].prerequisites[0]',
    'cannot be its own prerequisite',
  ],
  [
    'duplicate prerequisite',
    withGoals(goal('g1'), goal('g2', { prerequisites: ['g1', 'g1'] })),
    'challenges[0].goals[1].prerequisites[1]',
    'duplicate prerequisite "g1"',
  ],
  [
    'two-goal prerequisite cycle',
    withGoals(goal('g1', { prerequisites: ['g2'] }), goal('g2', { prerequisites: ['g1'] })),
    'challenges[0].goals[0].prerequisites[0]',
    'prerequisites form a cycle: g1 -> g2 -> g1',
  ],
  [
    'cycle across challenges',
    config(
      challenge('c1', [goal('a', { prerequisites: ['b'] })]),
      challenge('c2', [goal('b', { prerequisites: ['c'] }), goal('c', { prerequisites: ['a'] })]),
    ),
    'challenges[0].goals[0].prerequisites[0]',
    'cycle: a -> b -> c -> a',
  ],
  [
    'cycle reachable from an acyclic goal is reported where it closes',
    withGoals(
      goal('g1', { prerequisites: ['g2'] }),
      goal('g2', { prerequisites: ['g3'] }),
      goal('g3', { prerequisites: ['g2'] }),
    ),
    'challenges[0].goals[1].prerequisites[0]',
    'cycle: g2 -> g3 -> g2',
  ],
  [
    'both spellings of goalId',
    withGoals(goal('g1', { goal_id: 'g1' })),
    'challenges[0].goals[0].goal_id',
    'give only one of "goalId", "goal_id", "id"',
  ],
  [
    'both spellings of statCode',
    withGoals(goal('g1', { requirement: requirement({ stat_code: 'x' }) })),
    'challenges[0].goals[0].requirement.stat_code',
    '"stat_code" and "statCode" both set statCode',
  ],
  [
    'id and challenge_id together',
    config(challenge('c1', [goal('g1')], { id: 'c1' })),
    'challenges[0].id',
    'give only one of "challengeId", "challenge_id", "id"',
  ],
  [
    'problem under an alias is reported with the spelling used',
    withGoals(goal('g1', { requirement: { stat_code: 'kills', target_value: -5 } })),
    'challenges[0].goals[0].requirement.target_value',
    '(got -5)',
  ],
  [
    'the first of several problems in document order',
    withGoals(goal('g1', { name: '' }), goal('g2', { eventSource: 'x' })),
    'challenges[0].goals[0].name',
    'must be a non-empty string',
  ],
];

describe('parseChallengeConfig rejects', () => {
  test.each(INVALID)('%s', (_rule, document, path, reason) => {
    const error = problemOf(document);
    expect(error.file).toBe(FILE);
    expect(error.path).toBe(path);
    expect(error.message).toBe(
      path === '' ? `${FILE}: ${error.reason}` : `${FILE}: ${path}: ${error.reason}`,
    );
    expect(error.reason).toContain(reason);
    expect(error.message).not.toContain('\n');
  });
});

describe('parseChallengeConfig accepts', () => {
  test('defaults fill every optional field and goals carry their challenge id', () => {
    const [parsed] = parseChallengeConfig(
      config(
        challenge('c1', [
          goal('login-once', {
            eventSource: 'login',
            requirement: { targetValue: 1 },
          }),
        ]),
      ),
      FILE,
    );
    expect(parsed).toEqual({
      challengeId: 'c1',
      name: 'Challenge c1',
      description: '',
      goals: [
        {
          goalId: 'login-once',
          challengeId: 'c1',
          name: 'Goal login-once',
          description: '',
          type: 'absolute',
          daily: false,
          progressMode: 'absolute',
          rotation: null,
          eventSource: 'login',
          defaultAssigned: false,
          requirement: { statCode: '', operator: '>=', targetValue: 1 },
          reward: { type: 'ITEM', rewardId: 'bronze_sword', quantity: 1 },
          prerequisites: [],
        },
      ],
    });
  });

  test('the result is frozen', () => {
    const [parsed] = parseChallengeConfig(withGoals(goal('g1')), FILE);
    const first = parsed?.goals[0];
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(Object.isFrozen(parsed?.goals)).toBe(true);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first?.requirement)).toBe(true);
    expect(Object.isFrozen(first?.reward)).toBe(true);
    expect(Object.isFrozen(first?.prerequisites)).toBe(true);
  });

  test('daily: false is allowed on any type, daily: true on increment goals', () => {
    const parsed = parseChallengeConfig(
      withGoals(goal('g1', { daily: false }), goal('g2', { type: 'increment', daily: true })),
      FILE,
    );
    expect(parsed[0]?.goals.map((g) => [g.type, g.daily])).toEqual([
      ['absolute', false],
      ['increment', true],
    ]);
  });

  test('prerequisites may name goals of other challenges, declared later', () => {
    const parsed = parseChallengeConfig(
      config(challenge('c1', [goal('a', { prerequisites: ['b'] })]), challenge('c2', [goal('b')])),
      FILE,
    );
    expect(parsed[0]?.goals[0]?.prerequisites).toEqual(['b']);
  });

  const camelCase = config(
    challenge(
      'combat',
      [
        goal('g1', {
          eventSource: 'statistic',
          defaultAssigned: true,
          requirement: { statCode: 'enemy_kills', targetValue: 10 },
          reward: { type: 'WALLET', rewardId: 'GOLD', quantity: 5 },
        }),
        goal('g2', { prerequisites: ['g1'] }),
      ],
      { description: 'Fight' },
    ),
  );

  test.each([
    [
      'snake_case keys',
      {
        challenges: [
          {
            challenge_id: 'combat',
            name: 'Challenge combat',
            description: 'Fight',
            goals: [
              {
                goal_id: 'g1',
                name: 'Goal g1',
                event_source: 'statistic',
                default_assigned: true,
                requirement: { stat_code: 'enemy_kills', target_value: 10 },
                reward: { type: 'WALLET', reward_id: 'GOLD', quantity: 5 },
              },
              { ...without(goal('g2', { prerequisites: ['g1'] }), 'goalId'), goal_id: 'g2' },
            ],
          },
        ],
      },
    ],
    [
      '`id` for challenge and goal ids',
      {
        challenges: [
          {
            id: 'combat',
            name: 'Challenge combat',
            description: 'Fight',
            goals: [
              {
                id: 'g1',
                name: 'Goal g1',
                eventSource: 'statistic',
                defaultAssigned: true,
                requirement: { statCode: 'enemy_kills', targetValue: 10 },
                reward: { type: 'WALLET', rewardId: 'GOLD', quantity: 5 },
              },
              { ...without(goal('g2', { prerequisites: ['g1'] }), 'goalId'), id: 'g2' },
            ],
          },
        ],
      },
    ],
  ])('%s, giving the same model as camelCase', (_label, aliased) => {
    expect(parseChallengeConfig(aliased, FILE)).toEqual(parseChallengeConfig(camelCase, FILE));
  });
});
