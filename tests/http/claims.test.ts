/**
 * POST /v1/challenges/{challengeId}/goals/{goalId}/claim through the real app and database: the
 * response, the claim rules in their contract order, daily re-claims, grant failures and metrics.
 * Progress is set with `writeProgressState` (the event pipeline is tested elsewhere).
 */
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { writeProgressState } from '../../src/db/progress-rows.ts';
import type { GoalStatus } from '../../src/domain/types.ts';
import { RewardGrantError, type RewardGranter } from '../../src/rewards/reward-granter.ts';
import type { GoalJson } from '../helpers/api-json.ts';
import { heldGranter, until } from '../helpers/held-granter.ts';
import { createTestApp, TEST_NAMESPACE, type TestApp } from '../helpers/test-app.ts';

interface ErrorJson {
  readonly error: string;
  readonly code: number;
  readonly message: string;
  readonly details: unknown[];
}

interface ClaimJson {
  readonly goalId: string;
  readonly status: string;
  readonly reward: { type: string; rewardId: string; quantity: number };
  readonly claimedAt: string;
}

interface LedgerRow {
  readonly status: string;
  readonly period: string;
  readonly idempotency_key: string;
  readonly granted_at: Date | null;
}

const RFC3339_UTC_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
/** Per-test timeout for tests that build extra apps (the default is 5 s). */
const SLOW = 15_000;

const app = await createTestApp();
afterAll(() => app.close());
afterEach(() => app.setNow(undefined));

let users = 0;
const newUser = () => `claims-user-${++users}`;

const goalPath = (challengeId: string, goalId: string) => `/v1/challenges/${challengeId}/goals/${goalId}`;

const claim = <T = ErrorJson>(on: TestApp, user: string, challengeId: string, goalId: string) =>
  on.json<T>('POST', `${goalPath(challengeId, goalId)}/claim`, { user });

async function setActive(on: TestApp, user: string, challengeId: string, goalId: string, isActive: boolean) {
  const response = await on.request('PUT', `${goalPath(challengeId, goalId)}/active`, {
    user,
    body: { isActive },
  });
  expect(response.status).toBe(200);
}

/** Activates the goal, then writes its event-driven state as the event pipeline would. */
async function seedGoal(
  on: TestApp,
  user: string,
  challengeId: string,
  goalId: string,
  state: { status: GoalStatus; active?: boolean; progressDay?: string; at?: Date },
) {
  const at = state.at ?? new Date('2026-02-01T12:00:00Z');
  await setActive(on, user, challengeId, goalId, true);
  const target = on.catalog.goalById.get(goalId)?.requirement.targetValue ?? 1;
  const done = state.status === 'completed' || state.status === 'claimed';
  const progress = done ? target : state.status === 'in_progress' ? Math.max(1, target - 1) : 0;
  await writeProgressState(on.db.pool, {
    userId: user,
    goalId,
    progress,
    status: state.status,
    completedAt: done ? at : null,
    claimedAt: state.status === 'claimed' ? at : null,
    progressDay: state.progressDay ?? null,
    now: at,
  });
  if (state.active === false) await setActive(on, user, challengeId, goalId, false);
}

async function goalOf(on: TestApp, user: string, challengeId: string, goalId: string): Promise<GoalJson> {
  const { status, body } = await on.json<{ goals: GoalJson[] }>('GET', `/v1/challenges/${challengeId}`, {
    user,
  });
  expect(status).toBe(200);
  const goal = body.goals.find((candidate) => candidate.goalId === goalId);
  if (!goal) throw new Error(`goal ${goalId} missing from GET /v1/challenges/${challengeId}`);
  return goal;
}

const ledgerOf = async (on: TestApp, user: string): Promise<LedgerRow[]> => [
  ...(await on.db.pool<LedgerRow[]>`select status, period, idempotency_key, granted_at from reward_claims
    where user_id = ${user} order by created_at`),
];

const grantsOf = (on: TestApp, user: string) => on.grants.filter((grant) => grant.userId === user);

describe('claiming a completed goal', () => {
  test('answers 200 with the reward and claimedAt, shows the goal claimed and grants once', async () => {
    const user = newUser();
    const initialized = await app.request('POST', '/v1/challenges/initialize', { user });
    expect(initialized.status).toBe(200);
    await writeProgressState(app.db.pool, {
      userId: user,
      goalId: 'defeat-10-enemies',
      progress: 10,
      status: 'completed',
      completedAt: new Date('2026-03-04T05:00:00Z'),
      now: new Date('2026-03-04T05:00:00Z'),
    });
    app.setNow(new Date('2026-03-04T05:06:07.890Z'));

    const { status, body } = await claim<ClaimJson>(app, user, 'starter-challenge', 'defeat-10-enemies');

    expect(status).toBe(200);
    expect(body).toEqual({
      goalId: 'defeat-10-enemies',
      status: 'claimed',
      reward: { type: 'ITEM', rewardId: 'bronze_sword', quantity: 1 },
      claimedAt: '2026-03-04T05:06:07Z',
    });
    expect(Object.keys(body)).toEqual(['goalId', 'status', 'reward', 'claimedAt']);
    expect(body.claimedAt).toMatch(RFC3339_UTC_SECONDS);

    const goal = await goalOf(app, user, 'starter-challenge', 'defeat-10-enemies');
    expect(goal).toMatchObject({
      status: 'claimed',
      progress: 10,
      isActive: true,
      completedAt: '2026-03-04T05:00:00Z',
      claimedAt: '2026-03-04T05:06:07Z',
    });

    const grants = grantsOf(app, user);
    expect(grants).toHaveLength(1);
    const [grant] = grants;
    expect(grant).toEqual({
      userId: user,
      namespace: TEST_NAMESPACE,
      challengeId: 'starter-challenge',
      goalId: 'defeat-10-enemies',
      reward: { type: 'ITEM', rewardId: 'bronze_sword', quantity: 1 },
      idempotencyKey: expect.any(String),
    });
    expect(grant?.idempotencyKey.length).toBeGreaterThan(0);

    const ledger = await ledgerOf(app, user);
    expect(ledger).toEqual([
      {
        status: 'granted',
        period: 'once',
        idempotency_key: grant?.idempotencyKey ?? '',
        granted_at: new Date('2026-03-04T05:06:07.890Z'),
      },
    ]);
  });

  test('a WALLET goal activated by the player is claimed with its wallet reward', async () => {
    const user = newUser();
    await seedGoal(app, user, 'starter-challenge', 'play-5-matches', { status: 'completed' });

    const { status, body } = await claim<ClaimJson>(app, user, 'starter-challenge', 'play-5-matches');

    expect(status).toBe(200);
    expect(body.reward).toEqual({ type: 'WALLET', rewardId: 'GOLD', quantity: 100 });
    expect(grantsOf(app, user).map((grant) => grant.reward)).toEqual([
      { type: 'WALLET', rewardId: 'GOLD', quantity: 100 },
    ]);
  });

  test("claims are per player: another player's claim of the same goal is independent", async () => {
    const first = newUser();
    const second = newUser();
    await seedGoal(app, first, 'starter-challenge', 'play-5-matches', { status: 'completed' });
    await seedGoal(app, second, 'starter-challenge', 'play-5-matches', { status: 'completed' });

    expect((await claim(app, first, 'starter-challenge', 'play-5-matches')).status).toBe(200);
    expect((await claim(app, second, 'starter-challenge', 'play-5-matches')).status).toBe(200);

    const keys = [...grantsOf(app, first), ...grantsOf(app, second)].map((grant) => grant.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
  });
});

interface RuleCase {
  readonly name: string;
  readonly challengeId: string;
  readonly goalId: string;
  readonly setup: (user: string) => Promise<void>;
  readonly status: number;
  readonly error: string;
  readonly code: number;
  readonly message: RegExp;
}

const nothing = async () => {};

const RULES: readonly RuleCase[] = [
  {
    name: 'unknown challenge → 404 CHALLENGE_NOT_FOUND',
    challengeId: 'no-such-challenge',
    goalId: 'defeat-10-enemies',
    setup: nothing,
    status: 404,
    error: 'CHALLENGE_NOT_FOUND',
    code: 5,
    message: /'no-such-challenge'/,
  },
  {
    name: 'unknown challenge and unknown goal → the challenge is checked first',
    challengeId: 'no-such-challenge',
    goalId: 'no-such-goal',
    setup: nothing,
    status: 404,
    error: 'CHALLENGE_NOT_FOUND',
    code: 5,
    message: /'no-such-challenge'/,
  },
  {
    name: 'unknown goal → 404 GOAL_NOT_FOUND',
    challengeId: 'starter-challenge',
    goalId: 'no-such-goal',
    setup: nothing,
    status: 404,
    error: 'GOAL_NOT_FOUND',
    code: 5,
    message: /Goal 'no-such-goal' not found in challenge 'starter-challenge'/,
  },
  {
    name: 'goal of another challenge (even completed) → 404 GOAL_NOT_FOUND',
    challengeId: 'starter-challenge',
    goalId: 'tutorial',
    setup: (user) => seedGoal(app, user, 'progression', 'tutorial', { status: 'completed' }),
    status: 404,
    error: 'GOAL_NOT_FOUND',
    code: 5,
    message: /Goal 'tutorial' not found in challenge 'starter-challenge'/,
  },
  {
    name: 'no row (never assigned) → 400 GOAL_NOT_ACTIVE saying how to activate',
    challengeId: 'progression',
    goalId: 'reach-level-5',
    setup: nothing,
    status: 400,
    error: 'GOAL_NOT_ACTIVE',
    code: 9,
    message: /PUT \/v1\/challenges\/progression\/goals\/reach-level-5\/active/,
  },
  {
    name: 'inactive row that is completed → 400 GOAL_NOT_ACTIVE',
    challengeId: 'starter-challenge',
    goalId: 'play-5-matches',
    setup: (user) =>
      seedGoal(app, user, 'starter-challenge', 'play-5-matches', { status: 'completed', active: false }),
    status: 400,
    error: 'GOAL_NOT_ACTIVE',
    code: 9,
    message: /PUT \/v1\/challenges\/starter-challenge\/goals\/play-5-matches\/active/,
  },
  {
    name: 'inactive and claimed → GOAL_NOT_ACTIVE (activity is checked before claimed)',
    challengeId: 'starter-challenge',
    goalId: 'play-5-matches',
    setup: (user) =>
      seedGoal(app, user, 'starter-challenge', 'play-5-matches', { status: 'claimed', active: false }),
    status: 400,
    error: 'GOAL_NOT_ACTIVE',
    code: 9,
    message: /Activate it first/,
  },
  {
    name: 'already claimed → 409 GOAL_ALREADY_CLAIMED',
    challengeId: 'starter-challenge',
    goalId: 'play-5-matches',
    setup: (user) =>
      seedGoal(app, user, 'starter-challenge', 'play-5-matches', {
        status: 'claimed',
        at: new Date('2026-02-03T04:05:06Z'),
      }),
    status: 409,
    error: 'GOAL_ALREADY_CLAIMED',
    code: 6,
    message: /already been claimed \(claimed_at: 2026-02-03T04:05:06Z\)/,
  },
  {
    name: 'claimed with unmet prerequisites → 409 (claimed is checked before prerequisites)',
    challengeId: 'progression',
    goalId: 'reach-level-5',
    setup: (user) => seedGoal(app, user, 'progression', 'reach-level-5', { status: 'claimed' }),
    status: 409,
    error: 'GOAL_ALREADY_CLAIMED',
    code: 6,
    message: /reach-level-5/,
  },
  {
    name: 'in_progress → 400 GOAL_NOT_COMPLETED',
    challengeId: 'starter-challenge',
    goalId: 'play-5-matches',
    setup: (user) => seedGoal(app, user, 'starter-challenge', 'play-5-matches', { status: 'in_progress' }),
    status: 400,
    error: 'GOAL_NOT_COMPLETED',
    code: 9,
    message: /status: in_progress/,
  },
  {
    name: 'not_started (just activated) → 400 GOAL_NOT_COMPLETED',
    challengeId: 'starter-challenge',
    goalId: 'play-5-matches',
    setup: (user) => setActive(app, user, 'starter-challenge', 'play-5-matches', true),
    status: 400,
    error: 'GOAL_NOT_COMPLETED',
    code: 9,
    message: /status: not_started/,
  },
  {
    name: 'in_progress with unmet prerequisites → GOAL_NOT_COMPLETED (completion is checked first)',
    challengeId: 'progression',
    goalId: 'reach-level-5',
    setup: (user) => seedGoal(app, user, 'progression', 'reach-level-5', { status: 'in_progress' }),
    status: 400,
    error: 'GOAL_NOT_COMPLETED',
    code: 9,
    message: /reach-level-5/,
  },
  {
    name: 'completed, prerequisite in progress → 400 PREREQUISITES_NOT_MET',
    challengeId: 'progression',
    goalId: 'reach-level-5',
    setup: async (user) => {
      await seedGoal(app, user, 'progression', 'tutorial', { status: 'in_progress' });
      await seedGoal(app, user, 'progression', 'reach-level-5', { status: 'completed' });
    },
    status: 400,
    error: 'PREREQUISITES_NOT_MET',
    code: 9,
    message: /'tutorial'/,
  },
  {
    name: 'completed, prerequisite never assigned → 400 PREREQUISITES_NOT_MET',
    challengeId: 'progression',
    goalId: 'reach-level-5',
    setup: (user) => seedGoal(app, user, 'progression', 'reach-level-5', { status: 'completed' }),
    status: 400,
    error: 'PREREQUISITES_NOT_MET',
    code: 9,
    message: /'tutorial'/,
  },
];

describe('claim rules, in contract order', () => {
  test.each(RULES.map((rule) => [rule.name, rule] as const))('%s', async (_name, rule) => {
    const user = newUser();
    await rule.setup(user);
    const before = await ledgerOf(app, user);

    const { status, body } = await claim(app, user, rule.challengeId, rule.goalId);

    expect(status).toBe(rule.status);
    expect(body.error).toBe(rule.error);
    expect(body.code).toBe(rule.code);
    expect(body.message).toMatch(rule.message);
    expect(Array.isArray(body.details)).toBe(true);
    expect(grantsOf(app, user)).toEqual([]);
    expect(await ledgerOf(app, user)).toEqual(before);
  });

  test('PREREQUISITES_NOT_MET lists the missing prerequisites in details', async () => {
    const user = newUser();
    await seedGoal(app, user, 'progression', 'reach-level-5', { status: 'completed' });

    const { body } = await claim(app, user, 'progression', 'reach-level-5');

    expect(body.details).toEqual([{ prerequisite: 'tutorial' }]);
  });

  test('a rejected goal stays as it was and becomes claimable once the rule is satisfied', async () => {
    const user = newUser();
    await seedGoal(app, user, 'starter-challenge', 'play-5-matches', { status: 'completed', active: false });
    expect((await claim(app, user, 'starter-challenge', 'play-5-matches')).status).toBe(400);
    expect(await goalOf(app, user, 'starter-challenge', 'play-5-matches')).toMatchObject({
      status: 'completed',
      isActive: false,
    });

    await setActive(app, user, 'starter-challenge', 'play-5-matches', true);

    expect((await claim(app, user, 'starter-challenge', 'play-5-matches')).status).toBe(200);
    expect(grantsOf(app, user)).toHaveLength(1);
  });

  test('a second claim of a claimed goal is 409 and grants nothing more', async () => {
    const user = newUser();
    await seedGoal(app, user, 'starter-challenge', 'play-5-matches', { status: 'completed' });
    app.setNow(new Date('2026-02-02T10:11:12Z'));
    expect((await claim(app, user, 'starter-challenge', 'play-5-matches')).status).toBe(200);

    const again = await claim(app, user, 'starter-challenge', 'play-5-matches');

    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'GOAL_ALREADY_CLAIMED', code: 6 });
    expect(again.body.message).toContain('claimed_at: 2026-02-02T10:11:12Z');
    expect(grantsOf(app, user)).toHaveLength(1);
  });

  test.each([
    ['claimed', true],
    ['completed', false],
  ] as const)('a prerequisite that is %s (active: %p) counts as met', async (prerequisiteStatus, active) => {
    const user = newUser();
    await seedGoal(app, user, 'progression', 'tutorial', { status: prerequisiteStatus, active });
    await seedGoal(app, user, 'progression', 'reach-level-5', { status: 'completed' });
    expect((await goalOf(app, user, 'progression', 'reach-level-5')).locked).toBe(false);

    const { status, body } = await claim<ClaimJson>(app, user, 'progression', 'reach-level-5');

    expect(status).toBe(200);
    expect(body.reward).toEqual({ type: 'WALLET', rewardId: 'GOLD', quantity: 100 });
  });

  test('an inactive prerequisite that is only in progress does not count', async () => {
    const user = newUser();
    await seedGoal(app, user, 'progression', 'tutorial', { status: 'in_progress', active: false });
    await seedGoal(app, user, 'progression', 'reach-level-5', { status: 'completed' });

    const { status, body } = await claim(app, user, 'progression', 'reach-level-5');

    expect(status).toBe(400);
    expect(body.error).toBe('PREREQUISITES_NOT_MET');
  });
});

describe('daily goal', () => {
  const DAY_1 = new Date('2026-05-10T10:00:00Z');
  const DAY_2 = new Date('2026-05-11T09:30:00Z');

  test('is claimable once per UTC day, each day with its own idempotency key', async () => {
    const user = newUser();
    app.setNow(DAY_1);
    await seedGoal(app, user, 'daily-quests', 'daily-login', {
      status: 'completed',
      progressDay: '2026-05-10',
      at: DAY_1,
    });
    const first = await claim<ClaimJson>(app, user, 'daily-quests', 'daily-login');
    expect(first.status).toBe(200);
    expect(first.body.claimedAt).toBe('2026-05-10T10:00:00Z');
    expect((await claim(app, user, 'daily-quests', 'daily-login')).status).toBe(409);

    app.setNow(DAY_2);
    expect(await goalOf(app, user, 'daily-quests', 'daily-login')).toMatchObject({
      status: 'not_started',
      progress: 0,
      claimedAt: '',
    });
    const notYet = await claim(app, user, 'daily-quests', 'daily-login');
    expect(notYet.status).toBe(400);
    expect(notYet.body).toMatchObject({ error: 'GOAL_NOT_COMPLETED', code: 9 });

    await writeProgressState(app.db.pool, {
      userId: user,
      goalId: 'daily-login',
      progress: 1,
      status: 'completed',
      completedAt: DAY_2,
      progressDay: '2026-05-11',
      now: DAY_2,
    });
    const second = await claim<ClaimJson>(app, user, 'daily-quests', 'daily-login');

    expect(second.status).toBe(200);
    expect(second.body).toEqual({
      goalId: 'daily-login',
      status: 'claimed',
      reward: { type: 'WALLET', rewardId: 'GEMS', quantity: 10 },
      claimedAt: '2026-05-11T09:30:00Z',
    });
    expect((await goalOf(app, user, 'daily-quests', 'daily-login')).status).toBe('claimed');
    const keys = grantsOf(app, user).map((grant) => grant.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
    expect((await ledgerOf(app, user)).map((row) => [row.period, row.status])).toEqual([
      ['2026-05-10', 'granted'],
      ['2026-05-11', 'granted'],
    ]);
  });

  test(
    'a claim of day D whose grant finishes after midnight marks only D: the D+1 completion stays claimable',
    async () => {
      const held = heldGranter();
      await using on = await createTestApp({ granter: held.granter });
      const user = newUser();
      const lastSecond = new Date('2026-05-10T23:59:59Z');
      const nextDay = new Date('2026-05-11T00:00:05Z');
      on.setNow(lastSecond);
      await seedGoal(on, user, 'daily-quests', 'daily-login', {
        status: 'completed',
        progressDay: '2026-05-10',
        at: lastSecond,
      });

      const pending = claim<ClaimJson>(on, user, 'daily-quests', 'daily-login');
      await until(() => held.calls.length === 1, 2_000);
      // Midnight passes while the backend works, and the player's first login of D+1 completes the
      // goal again for that day.
      on.setNow(nextDay);
      await writeProgressState(on.db.pool, {
        userId: user,
        goalId: 'daily-login',
        progress: 1,
        status: 'completed',
        completedAt: nextDay,
        progressDay: '2026-05-11',
        now: nextDay,
      });
      held.release(0);
      const first = await pending;

      expect(first.status).toBe(200);
      expect(first.body.reward).toEqual({ type: 'WALLET', rewardId: 'GEMS', quantity: 10 });
      expect(await goalOf(on, user, 'daily-quests', 'daily-login')).toMatchObject({
        status: 'completed',
        completedAt: '2026-05-11T00:00:05Z',
        claimedAt: '',
      });

      held.release(1);
      const second = await claim<ClaimJson>(on, user, 'daily-quests', 'daily-login');
      held.done();

      expect(second.status).toBe(200);
      expect((await goalOf(on, user, 'daily-quests', 'daily-login')).status).toBe('claimed');
      expect(held.calls.map((grant) => grant.idempotencyKey)).toEqual([
        `${TEST_NAMESPACE}:${user}:daily-login:2026-05-10`,
        `${TEST_NAMESPACE}:${user}:daily-login:2026-05-11`,
      ]);
      expect((await ledgerOf(on, user)).map((row) => [row.period, row.status])).toEqual([
        ['2026-05-10', 'granted'],
        ['2026-05-11', 'granted'],
      ]);
    },
    SLOW,
  );

  test('a completion from yesterday that was never claimed cannot be claimed today', async () => {
    const user = newUser();
    await seedGoal(app, user, 'daily-quests', 'daily-login', {
      status: 'completed',
      progressDay: '2026-05-10',
      at: DAY_1,
    });
    app.setNow(DAY_2);

    const { status, body } = await claim(app, user, 'daily-quests', 'daily-login');

    expect(status).toBe(400);
    expect(body.error).toBe('GOAL_NOT_COMPLETED');
    expect(grantsOf(app, user)).toEqual([]);
  });
});

describe('idempotency keys', () => {
  test('ids without ":" or "%" keep the plain key', async () => {
    const user = newUser();
    await seedGoal(app, user, 'starter-challenge', 'play-5-matches', { status: 'completed' });

    expect((await claim(app, user, 'starter-challenge', 'play-5-matches')).status).toBe(200);

    const expected = `${TEST_NAMESPACE}:${user}:play-5-matches:once`;
    expect(grantsOf(app, user).map((grant) => grant.idempotencyKey)).toEqual([expected]);
    expect((await ledgerOf(app, user)).map((row) => row.idempotency_key)).toEqual([expected]);
  });

  test('a user id containing ":" is escaped, so its key cannot collide with another claim', async () => {
    const user = `${newUser()}:play-5-matches`;
    await seedGoal(app, user, 'starter-challenge', 'play-5-matches', { status: 'completed' });

    expect((await claim(app, user, 'starter-challenge', 'play-5-matches')).status).toBe(200);

    const expected = `${TEST_NAMESPACE}:${user.replace(':', '%3A')}:play-5-matches:once`;
    expect(grantsOf(app, user).map((grant) => grant.idempotencyKey)).toEqual([expected]);
    expect((await ledgerOf(app, user)).map((row) => row.idempotency_key)).toEqual([expected]);
  });
});

describe('a failed grant', () => {
  const failingGranter = (error: unknown): RewardGranter & { calls: number } => {
    const granter = {
      mode: 'mock' as const,
      calls: 0,
      grant: async () => {
        granter.calls += 1;
        throw error;
      },
    };
    return granter;
  };

  test.each([
    ['a RewardGrantError', new RewardGrantError('backend said no', { permanent: false, status: 503 })],
    ['an unexpected error', new TypeError('socket hang up')],
  ])(
    '%s → 502 REWARD_GRANT_FAILED, the goal stays completed and a later claim succeeds',
    async (_, error) => {
      const granter = failingGranter(error);
      await using failing = await createTestApp({ granter });
      const user = newUser();
      await seedGoal(failing, user, 'starter-challenge', 'play-5-matches', { status: 'completed' });

      const { status, body } = await claim(failing, user, 'starter-challenge', 'play-5-matches');

      expect(status).toBe(502);
      expect(body).toMatchObject({ error: 'REWARD_GRANT_FAILED', code: 13 });
      expect(body.message).toContain("'play-5-matches'");
      expect(body.message).not.toContain('backend said no');
      expect(body.message).not.toContain('socket hang up');
      expect(granter.calls).toBe(1);
      expect(await goalOf(failing, user, 'starter-challenge', 'play-5-matches')).toMatchObject({
        status: 'completed',
        claimedAt: '',
      });
      // Released for the next claim, which repeats the grant under the same key.
      const [released] = await ledgerOf(failing, user);
      expect(released?.status).toBe('pending');

      await using working = await createTestApp({ db: failing.db });
      const retry = await claim<ClaimJson>(working, user, 'starter-challenge', 'play-5-matches');

      expect(retry.status).toBe(200);
      expect(retry.body.status).toBe('claimed');
      expect(working.grants).toHaveLength(1);
      expect((await goalOf(working, user, 'starter-challenge', 'play-5-matches')).status).toBe('claimed');
      expect((await ledgerOf(working, user)).map((row) => row.status)).toEqual(['granted']);
      expect(working.grants[0]?.idempotencyKey).toBe(released?.idempotency_key);
    },
    SLOW,
  );

  test(
    'a grant the backend refused for good is retried with the reward the configuration corrected, same key',
    async () => {
      let refuse = true;
      const grants: Array<{ key: string; rewardId: string }> = [];
      await using app = await createTestApp({
        granter: {
          mode: 'mock',
          grant: async (request) => {
            grants.push({ key: request.idempotencyKey, rewardId: request.reward.rewardId });
            if (refuse) throw new RewardGrantError('unknown item', { permanent: true, status: 404 });
          },
        },
      });
      const user = newUser();
      await seedGoal(app, user, 'starter-challenge', 'play-5-matches', { status: 'completed' });
      expect((await claim(app, user, 'starter-challenge', 'play-5-matches')).status).toBe(502);
      // The operator corrects the item id.
      const document = JSON.parse(await Bun.file('config/challenges.test.json').text());
      const goal = document.challenges[0].goals.find(
        (entry: { goalId: string }) => entry.goalId === 'play-5-matches',
      );
      goal.reward.rewardId = 'corrected-item';
      expect((await app.request('PUT', '/v1/admin/config', { admin: 'ops', body: document })).status).toBe(
        200,
      );
      refuse = false;
      expect((await claim(app, user, 'starter-challenge', 'play-5-matches')).status).toBe(200);
      const key = `test-namespace:${user}:play-5-matches:once`;
      expect(grants.map((grant) => grant.key)).toEqual([key, key]);
      expect(grants[0]?.rewardId).not.toBe('corrected-item');
      expect(grants[1]?.rewardId).toBe('corrected-item');
    },
    SLOW,
  );

  test(
    'a later earning whose grant failed is retried under its own key, not the first earning’s',
    async () => {
      let failing = false;
      const keys: string[] = [];
      await using app = await createTestApp({
        granter: {
          mode: 'mock',
          grant: async (request) => {
            keys.push(request.idempotencyKey);
            if (failing) throw new RewardGrantError('backend down', { permanent: false, status: 503 });
          },
        },
      });
      const user = newUser();
      await seedGoal(app, user, 'starter-challenge', 'play-5-matches', { status: 'completed' });
      expect((await claim(app, user, 'starter-challenge', 'play-5-matches')).status).toBe(200);
      // An operator deletes the row; the goal is earned again on a new one: its second earning.
      await app.db
        .pool`delete from user_goal_progress where user_id = ${user} and goal_id = 'play-5-matches'`;
      await seedGoal(app, user, 'starter-challenge', 'play-5-matches', { status: 'completed' });
      failing = true;
      expect((await claim(app, user, 'starter-challenge', 'play-5-matches')).status).toBe(502);
      failing = false;
      expect((await claim(app, user, 'starter-challenge', 'play-5-matches')).status).toBe(200);
      const first = `test-namespace:${user}:play-5-matches:once`;
      expect(keys).toEqual([first, `${first}:2`, `${first}:2`]);
      expect((await claim(app, user, 'starter-challenge', 'play-5-matches')).status).toBe(409);
    },
    SLOW,
  );
});

describe('claim metrics', () => {
  const counter = async (on: TestApp, outcome: string): Promise<number> => {
    const text = await on.metrics.registry.metrics();
    const match = new RegExp(`^challenge_claims_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text);
    return match?.[1] === undefined ? 0 : Number(match[1]);
  };

  test(
    'count claimed, rejected and grant_failed outcomes',
    async () => {
      await using fresh = await createTestApp();
      const user = newUser();
      await seedGoal(fresh, user, 'starter-challenge', 'play-5-matches', { status: 'completed' });
      expect(await counter(fresh, 'claimed')).toBe(0);

      expect((await claim(fresh, user, 'starter-challenge', 'play-5-matches')).status).toBe(200);
      expect(await counter(fresh, 'claimed')).toBe(1);
      expect(await counter(fresh, 'rejected')).toBe(0);

      expect((await claim(fresh, user, 'starter-challenge', 'play-5-matches')).status).toBe(409);
      expect((await claim(fresh, user, 'starter-challenge', 'login-3-times')).status).toBe(400);
      expect(await counter(fresh, 'rejected')).toBe(2);
      expect(await counter(fresh, 'claimed')).toBe(1);

      await using failing = await createTestApp({
        db: fresh.db,
        granter: {
          mode: 'mock',
          grant: async () => {
            throw new RewardGrantError('down', { permanent: false });
          },
        },
      });
      await seedGoal(failing, user, 'starter-challenge', 'login-3-times', { status: 'completed' });
      expect((await claim(failing, user, 'starter-challenge', 'login-3-times')).status).toBe(502);
      expect(await counter(failing, 'grant_failed')).toBe(1);
      expect(await counter(failing, 'claimed')).toBe(0);
    },
    SLOW,
  );
});
