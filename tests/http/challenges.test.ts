/** GET /v1/challenges and GET /v1/challenges/{challengeId}: wire shape, progress, locking, daily reopening. */
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { writeProgressState } from '../../src/db/progress-rows.ts';
import type { GoalStatus } from '../../src/domain/types.ts';
import type { GoalJson } from '../helpers/api-json.ts';
import { createTestApp } from '../helpers/test-app.ts';

interface ChallengeJson {
  challengeId: string;
  name: string;
  description: string;
  goals: GoalJson[];
}

const GOAL_KEYS = [
  'goalId',
  'name',
  'description',
  'requirement',
  'reward',
  'prerequisites',
  'progress',
  'status',
  'locked',
  'completedAt',
  'claimedAt',
  'isActive',
  'expiresAt',
  'expiresInSeconds',
];
const RFC3339_UTC_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const CONFIG_ORDER = {
  'starter-challenge': ['defeat-10-enemies', 'login-3-times', 'play-5-matches'],
  'daily-quests': ['login-3-days', 'daily-login'],
  progression: ['tutorial', 'reach-level-5', 'reach-level-10'],
};

const app = await createTestApp();
afterAll(() => app.close());
afterEach(() => app.setNow(undefined));

async function list(user: string, query = ''): Promise<ChallengeJson[]> {
  const { status, body } = await app.json<{ challenges: ChallengeJson[] }>('GET', `/v1/challenges${query}`, {
    user,
  });
  expect(status).toBe(200);
  return body.challenges;
}

function goalIn(challenges: readonly ChallengeJson[], goalId: string): GoalJson {
  for (const challenge of challenges) {
    const goal = challenge.goals.find((candidate) => candidate.goalId === goalId);
    if (goal) return goal;
  }
  throw new Error(`goal '${goalId}' is not in the response`);
}

const goalIdsByChallenge = (challenges: readonly ChallengeJson[]) =>
  Object.fromEntries(challenges.map((c) => [c.challengeId, c.goals.map((g) => g.goalId)]));

async function setActive(user: string, challengeId: string, goalId: string, isActive: boolean) {
  const response = await app.request('PUT', `/v1/challenges/${challengeId}/goals/${goalId}/active`, {
    user,
    body: { isActive },
  });
  expect(response.status).toBe(200);
}

async function initialize(user: string) {
  const response = await app.request('POST', '/v1/challenges/initialize', { user });
  expect(response.status).toBe(200);
}

async function setProgress(
  user: string,
  goalId: string,
  state: {
    progress: number;
    status: GoalStatus;
    completedAt?: Date;
    claimedAt?: Date;
    progressDay?: string;
  },
) {
  await writeProgressState(app.db.pool, {
    userId: user,
    goalId,
    progress: state.progress,
    status: state.status,
    completedAt: state.completedAt ?? null,
    claimedAt: state.claimedAt ?? null,
    progressDay: state.progressDay ?? null,
    now: new Date(),
  });
}

describe('GET /v1/challenges', () => {
  test('lists every challenge in configuration order as JSON', async () => {
    const response = await app.request('GET', '/v1/challenges', { user: 'order-user' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toStartWith('application/json');
    const body = (await response.json()) as { challenges: ChallengeJson[] };
    expect(Object.keys(body)).toEqual(['challenges']);
    expect(goalIdsByChallenge(body.challenges)).toEqual(CONFIG_ORDER);
    for (const challenge of body.challenges) {
      expect(Object.keys(challenge)).toEqual(['challengeId', 'name', 'description', 'goals']);
    }
    expect(body.challenges[0]).toMatchObject({
      challengeId: 'starter-challenge',
      name: 'Starter Challenge',
      description: 'Default goals every new player gets.',
    });
  });

  test('every goal has exactly the documented keys, in order', async () => {
    await initialize('keys-user');
    await setActive('keys-user', 'daily-quests', 'daily-login', true);
    for (const challenge of await list('keys-user')) {
      for (const goal of challenge.goals) {
        expect(Object.keys(goal)).toEqual(GOAL_KEYS);
        expect(Object.keys(goal.requirement)).toEqual(['statCode', 'operator', 'targetValue']);
        expect(Object.keys(goal.reward)).toEqual(['type', 'rewardId', 'quantity']);
      }
    }
  });

  test('a goal the player has no row for is unassigned: progress 0, not_started, inactive, empty timestamps', async () => {
    const challenges = await list('no-rows-user');
    expect(goalIn(challenges, 'defeat-10-enemies')).toEqual({
      goalId: 'defeat-10-enemies',
      name: 'Defeat 10 Enemies',
      description: 'Defeat 10 enemies.',
      requirement: { statCode: 'enemy_kills', operator: '>=', targetValue: 10 },
      reward: { type: 'ITEM', rewardId: 'bronze_sword', quantity: 1 },
      prerequisites: [],
      progress: 0,
      status: 'not_started',
      locked: false,
      completedAt: '',
      claimedAt: '',
      isActive: false,
      expiresAt: '',
      expiresInSeconds: 0,
    });
    for (const goal of challenges.flatMap((c) => c.goals)) {
      expect(goal).toMatchObject({
        progress: 0,
        status: 'not_started',
        isActive: false,
        completedAt: '',
        claimedAt: '',
      });
    }
    expect(goalIn(challenges, 'reach-level-5').prerequisites).toEqual(['tutorial']);
  });

  test('shows stored progress and status of the caller’s rows', async () => {
    await initialize('progress-user');
    await setProgress('progress-user', 'defeat-10-enemies', { progress: 7, status: 'in_progress' });
    const goal = goalIn(await list('progress-user'), 'defeat-10-enemies');
    expect(goal).toMatchObject({ progress: 7, status: 'in_progress', isActive: true, completedAt: '' });
  });

  describe('active_only', () => {
    const user = 'active-only-user';
    const prepare = async () => {
      await initialize(user);
      await setActive(user, 'starter-challenge', 'play-5-matches', true);
      await setActive(user, 'starter-challenge', 'login-3-times', false);
    };

    test('active_only=true keeps every challenge but only the caller’s active goals', async () => {
      await prepare();
      const challenges = await list(user, '?active_only=true');
      expect(goalIdsByChallenge(challenges)).toEqual({
        'starter-challenge': ['defeat-10-enemies', 'play-5-matches'],
        'daily-quests': [],
        progression: ['tutorial'],
      });
      expect(challenges.flatMap((c) => c.goals).every((goal) => goal.isActive)).toBe(true);
    });

    test('active_only=false and no active_only both return every goal', async () => {
      await prepare();
      const all = await list(user, '?active_only=false');
      expect(goalIdsByChallenge(all)).toEqual(CONFIG_ORDER);
      expect(goalIdsByChallenge(await list(user))).toEqual(CONFIG_ORDER);
      expect(goalIn(all, 'login-3-times').isActive).toBe(false);
      expect(goalIn(all, 'login-3-days').isActive).toBe(false);
    });

    test('a player with no rows gets every challenge with empty goal lists', async () => {
      const challenges = await list('active-only-empty-user', '?active_only=true');
      expect(goalIdsByChallenge(challenges)).toEqual({
        'starter-challenge': [],
        'daily-quests': [],
        progression: [],
      });
    });
  });

  describe('locked', () => {
    test('a goal is locked until its prerequisite is completed for that player', async () => {
      await initialize('lock-a');
      await setActive('lock-a', 'progression', 'reach-level-5', true);
      let challenges = await list('lock-a');
      expect(goalIn(challenges, 'tutorial').locked).toBe(false);
      expect(goalIn(challenges, 'reach-level-5').locked).toBe(true);
      expect(goalIn(challenges, 'reach-level-10').locked).toBe(true);

      await setProgress('lock-a', 'tutorial', { progress: 1, status: 'completed', completedAt: new Date() });
      challenges = await list('lock-a');
      expect(goalIn(challenges, 'reach-level-5').locked).toBe(false);
      expect(goalIn(challenges, 'reach-level-10').locked).toBe(true);
      expect(goalIn(await list('lock-a', '?active_only=true'), 'reach-level-5').locked).toBe(false);
    });

    test('an in-progress prerequisite still locks', async () => {
      const user = 'lock-in-progress';
      await setActive(user, 'progression', 'reach-level-5', true);
      await setProgress(user, 'reach-level-5', { progress: 3, status: 'in_progress' });
      expect(goalIn(await list(user), 'reach-level-10').locked).toBe(true);
      await setProgress(user, 'reach-level-5', { progress: 5, status: 'completed', completedAt: new Date() });
      expect(goalIn(await list(user), 'reach-level-10').locked).toBe(false);
    });

    test('a claimed prerequisite unlocks', async () => {
      await initialize('lock-claimed');
      const at = new Date();
      await setProgress('lock-claimed', 'tutorial', {
        progress: 1,
        status: 'claimed',
        completedAt: at,
        claimedAt: at,
      });
      expect(goalIn(await list('lock-claimed'), 'reach-level-5').locked).toBe(false);
    });

    test('another player’s completed prerequisite does not unlock', async () => {
      await initialize('lock-owner');
      await setProgress('lock-owner', 'tutorial', {
        progress: 1,
        status: 'completed',
        completedAt: new Date(),
      });
      expect(goalIn(await list('lock-owner'), 'reach-level-5').locked).toBe(false);
      expect(goalIn(await list('lock-other'), 'reach-level-5').locked).toBe(true);
      await initialize('lock-other');
      expect(goalIn(await list('lock-other'), 'reach-level-5').locked).toBe(true);
    });

    test('a completed prerequisite that was deactivated still counts as done', async () => {
      const user = 'lock-inactive-prerequisite';
      await initialize(user);
      await setActive(user, 'progression', 'reach-level-5', true);
      await setProgress(user, 'tutorial', { progress: 1, status: 'completed', completedAt: new Date() });
      await setActive(user, 'progression', 'tutorial', false);
      expect(goalIn(await list(user), 'reach-level-5').locked).toBe(false);
      const activeOnly = await list(user, '?active_only=true');
      expect(activeOnly.find((c) => c.challengeId === 'progression')?.goals.map((g) => g.goalId)).toEqual([
        'reach-level-5',
      ]);
      expect(goalIn(activeOnly, 'reach-level-5').locked).toBe(false);
    });
  });

  test('timestamps are RFC 3339 UTC with whole seconds', async () => {
    const user = 'timestamps-user';
    app.setNow(new Date('2026-03-10T12:34:56.789Z'));
    await initialize(user);
    await setActive(user, 'daily-quests', 'daily-login', true);
    await setProgress(user, 'tutorial', {
      progress: 1,
      status: 'claimed',
      completedAt: new Date('2026-03-10T08:00:01.999Z'),
      claimedAt: new Date('2026-03-10T09:15:30.001Z'),
    });
    await setProgress(user, 'daily-login', {
      progress: 1,
      status: 'completed',
      completedAt: new Date('2026-03-10T11:11:11.500Z'),
      progressDay: '2026-03-10',
    });
    const challenges = await list(user);
    const tutorial = goalIn(challenges, 'tutorial');
    expect(tutorial.completedAt).toBe('2026-03-10T08:00:01Z');
    expect(tutorial.claimedAt).toBe('2026-03-10T09:15:30Z');
    const daily = goalIn(challenges, 'daily-login');
    expect(daily.completedAt).toBe('2026-03-10T11:11:11Z');
    expect(daily.expiresAt).toBe('2026-03-11T00:00:00Z');
    const stamps = challenges
      .flatMap((c) => c.goals)
      .flatMap((g) => [g.completedAt, g.claimedAt, g.expiresAt])
      .filter((value) => value !== '');
    expect(stamps.length).toBeGreaterThanOrEqual(4);
    for (const stamp of stamps) expect(stamp).toMatch(RFC3339_UTC_SECONDS);
  });

  describe('daily goals', () => {
    test('a daily goal completed today shows completed and expires at the next 00:00 UTC', async () => {
      const user = 'daily-today';
      app.setNow(new Date('2026-03-10T08:00:00Z'));
      await setActive(user, 'daily-quests', 'daily-login', true);
      await setProgress(user, 'daily-login', {
        progress: 1,
        status: 'completed',
        completedAt: new Date('2026-03-10T08:00:00Z'),
        progressDay: '2026-03-10',
      });
      app.setNow(new Date('2026-03-10T20:00:00.250Z'));
      const goal = goalIn(await list(user), 'daily-login');
      expect(goal).toMatchObject({
        progress: 1,
        status: 'completed',
        completedAt: '2026-03-10T08:00:00Z',
        isActive: true,
        expiresAt: '2026-03-11T00:00:00Z',
        expiresInSeconds: 4 * 3600 - 1,
      });
    });

    test('a daily goal completed yesterday is open again today', async () => {
      const user = 'daily-yesterday';
      app.setNow(new Date('2026-03-10T22:00:00Z'));
      await setActive(user, 'daily-quests', 'daily-login', true);
      await setProgress(user, 'daily-login', {
        progress: 1,
        status: 'completed',
        completedAt: new Date('2026-03-10T22:00:00Z'),
        progressDay: '2026-03-10',
      });
      const now = new Date('2026-03-11T09:30:00Z');
      app.setNow(now);
      const goal = goalIn(await list(user), 'daily-login');
      expect(goal).toMatchObject({
        progress: 0,
        status: 'not_started',
        completedAt: '',
        claimedAt: '',
        isActive: true,
        expiresAt: '2026-03-12T00:00:00Z',
        expiresInSeconds: 14.5 * 3600,
      });
      expect(Date.parse(goal.expiresAt) - now.getTime()).toBe(goal.expiresInSeconds * 1000);
    });

    test('a daily goal claimed yesterday is open again today', async () => {
      const user = 'daily-claimed-yesterday';
      app.setNow(new Date('2026-03-10T10:00:00Z'));
      await setActive(user, 'daily-quests', 'daily-login', true);
      await setProgress(user, 'daily-login', {
        progress: 1,
        status: 'claimed',
        completedAt: new Date('2026-03-10T10:00:00Z'),
        claimedAt: new Date('2026-03-10T10:01:00Z'),
        progressDay: '2026-03-10',
      });
      expect(goalIn(await list(user), 'daily-login')).toMatchObject({ status: 'claimed', progress: 1 });
      app.setNow(new Date('2026-03-11T00:00:00Z'));
      expect(goalIn(await list(user), 'daily-login')).toMatchObject({
        progress: 0,
        status: 'not_started',
        completedAt: '',
        claimedAt: '',
        expiresAt: '2026-03-12T00:00:00Z',
        expiresInSeconds: 86_400,
      });
    });
  });

  test('players only see their own rows', async () => {
    await initialize('isolated-a');
    await setActive('isolated-a', 'starter-challenge', 'play-5-matches', true);
    await setProgress('isolated-a', 'defeat-10-enemies', {
      progress: 10,
      status: 'completed',
      completedAt: new Date(),
    });
    const other = await list('isolated-b');
    expect(goalIn(other, 'defeat-10-enemies')).toMatchObject({
      progress: 0,
      status: 'not_started',
      isActive: false,
      completedAt: '',
    });
    expect(other.flatMap((c) => c.goals).some((goal) => goal.isActive)).toBe(false);
    expect(goalIdsByChallenge(await list('isolated-b', '?active_only=true'))).toEqual({
      'starter-challenge': [],
      'daily-quests': [],
      progression: [],
    });
    expect(goalIn(await list('isolated-a'), 'defeat-10-enemies')).toMatchObject({
      progress: 10,
      status: 'completed',
    });
  });
});

describe('GET /v1/challenges/{challengeId}', () => {
  test('returns one challenge object, the same as in the list', async () => {
    const user = 'one-user';
    app.setNow(new Date('2026-03-10T12:00:00Z'));
    await initialize(user);
    await setProgress(user, 'tutorial', { progress: 1, status: 'completed', completedAt: new Date() });
    const { status, body } = await app.json<ChallengeJson>('GET', '/v1/challenges/progression', { user });
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['challengeId', 'name', 'description', 'goals']);
    expect(body.challengeId).toBe('progression');
    expect(body.goals.map((g) => g.goalId)).toEqual(CONFIG_ORDER.progression);
    for (const goal of body.goals) expect(Object.keys(goal)).toEqual(GOAL_KEYS);
    const inList = (await list(user)).find((c) => c.challengeId === 'progression');
    if (!inList) throw new Error('progression is not in the list');
    expect(body).toEqual(inList);
  });

  test('active_only filters its goals', async () => {
    const user = 'one-active-user';
    await initialize(user);
    const active = await app.json<ChallengeJson>('GET', '/v1/challenges/progression?active_only=true', {
      user,
    });
    expect(active.status).toBe(200);
    expect(active.body.goals.map((g) => g.goalId)).toEqual(['tutorial']);
    const all = await app.json<ChallengeJson>('GET', '/v1/challenges/progression?active_only=false', {
      user,
    });
    expect(all.body.goals.map((g) => g.goalId)).toEqual(CONFIG_ORDER.progression);
    const empty = await app.json<ChallengeJson>('GET', '/v1/challenges/daily-quests?active_only=true', {
      user,
    });
    expect(empty.status).toBe(200);
    expect(empty.body.goals).toEqual([]);
  });

  test('an unknown challenge is 404 CHALLENGE_NOT_FOUND', async () => {
    const response = await app.request('GET', '/v1/challenges/no-such-challenge', { user: 'one-404' });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toStartWith('application/json');
    expect(await response.json()).toEqual({
      error: 'CHALLENGE_NOT_FOUND',
      code: 5,
      message: "Challenge 'no-such-challenge' not found",
      details: [],
    });
    const activeOnly = await app.json('GET', '/v1/challenges/no-such-challenge?active_only=true', {
      user: 'one-404',
    });
    expect(activeOnly.status).toBe(404);
  });

  test('a goal id is not a challenge id', async () => {
    const { status, body } = await app.json<{ error: string }>('GET', '/v1/challenges/tutorial', {
      user: 'one-goal-id',
    });
    expect(status).toBe(404);
    expect(body.error).toBe('CHALLENGE_NOT_FOUND');
  });
});
