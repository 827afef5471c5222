/**
 * Rotating goals end to end: the service in-process over real gRPC and REST, with the original's
 * shipped configuration and one movable clock shared by the HTTP side and the event workers, so
 * each step happens at the instant the test names (no sleeping across a boundary).
 */
import { afterAll, expect, test } from 'bun:test';
import { createMovableClock } from '../../src/clock.ts';
import { readServiceConfig } from '../../src/config/service-config.ts';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { createEventClient } from '../../src/events/event-client.ts';
import { createLogger } from '../../src/log.ts';
import type { GrantRequest } from '../../src/rewards/reward-granter.ts';
import { startService } from '../../src/service.ts';
import { createTestDb } from '../helpers/test-db.ts';

const NAMESPACE = 'e2e-rotation';
const CONFIG = 'tests/fixtures/original-current-challenges.json';
const ROTATING_CHALLENGES = ['rotation-daily', 'weekly-challenges', 'monthly-challenges'];

const db = await createTestDb();
const clock = createMovableClock(new Date('2030-01-08T09:00:00Z'));
const grpcPort = await freePort();
const grants: GrantRequest[] = [];
const service = await startService(
  readServiceConfig({
    DATABASE_URL: db.url,
    AUTH_MODE: 'mock',
    AB_NAMESPACE: NAMESPACE,
    CHALLENGE_CONFIG_PATH: CONFIG,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(grpcPort),
  }),
  createLogger('fatal'),
  {
    granter: { mode: 'mock', grant: async (request) => void grants.push(request) },
    clockOffset: clock.buffer,
  },
);
const events = createEventClient(`127.0.0.1:${grpcPort}`, { deadlineMs: 20_000 });
afterAll(async () => {
  events.close();
  await service.stop();
  await db.drop();
});

const at = (iso: string) => clock.set(new Date(iso));

async function api<T = Record<string, unknown>>(method: string, path: string, user: string) {
  const response = await fetch(`${service.httpUrl}${path}`, {
    method,
    headers: { 'x-mock-user-id': user },
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, body: (await response.json()) as T };
}

const stat = (userId: string, statCode: string, value: number, inc: number) =>
  events.sendStat({ userId, namespace: NAMESPACE, statCode, value, inc, timestamp: clock.now() });
const login = (userId: string) => events.sendLogin({ userId, namespace: NAMESPACE, timestamp: clock.now() });

interface GoalView {
  goalId: string;
  progress: number;
  status: string;
  expiresAt: string;
  expiresInSeconds: number;
  isActive: boolean;
}
interface AssignedGoal {
  goalId: string;
  challengeId: string;
  progress: number;
  status: string;
  expiresAt: string;
}

async function goalView(user: string, challengeId: string, goalId: string): Promise<GoalView> {
  const { body } = await api<{ goals: GoalView[] }>('GET', `/v1/challenges/${challengeId}`, user);
  const goal = body.goals.find((g) => g.goalId === goalId);
  if (!goal) throw new Error(`${goalId} missing from ${challengeId}`);
  return goal;
}
const shown = async (user: string, challengeId: string, goalId: string) => {
  const { progress, status } = await goalView(user, challengeId, goalId);
  return { progress, status };
};
const claim = (user: string, challengeId: string, goalId: string) =>
  api<{ error?: string; reward?: unknown }>(
    'POST',
    `/v1/challenges/${challengeId}/goals/${goalId}/claim`,
    user,
  );

interface StoredRow {
  progress: number;
  status: string;
  baseline_value: number | null;
  period_start: string | null;
  expires_at: Date | null;
  completed_at: Date | null;
  claimed_at: Date | null;
  updated_at: Date;
  version: string;
}
async function row(user: string, goalId: string): Promise<StoredRow> {
  const rows = await db.pool<StoredRow[]>`
    select progress, status, baseline_value, period_start::text as period_start, expires_at,
      completed_at, claimed_at, updated_at, xmin::text as version
    from user_goal_progress where user_id = ${user} and goal_id = ${goalId}`;
  const found = rows[0];
  if (!found) throw new Error(`no row for ${user}/${goalId}`);
  return found;
}

test('the worked example: daily relative kills >= 10, reset and reselect, over two days', async () => {
  const user = 'worked-example';
  const C = 'rotation-daily';
  const G = 'daily-challenges-goal-01';

  at('2030-01-08T09:00:00Z');
  const init = await api<{ assignedGoals: AssignedGoal[] }>('POST', '/v1/challenges/initialize', user);
  expect(init.status).toBe(200);
  expect(init.body.assignedGoals.find((g) => g.goalId === G)).toMatchObject({
    progress: 0,
    status: 'not_started',
    expiresAt: '2030-01-09T00:00:00Z',
  });
  expect(await row(user, G)).toMatchObject({
    progress: 0,
    status: 'not_started',
    baseline_value: null,
    period_start: '2030-01-08',
    expires_at: new Date('2030-01-09T00:00:00Z'),
  });

  at('2030-01-08T09:05:00Z');
  await stat(user, 'kills', 100, 4);
  expect(await row(user, G)).toMatchObject({ progress: 100, baseline_value: 96, status: 'in_progress' });
  expect(await shown(user, C, G)).toEqual({ progress: 4, status: 'in_progress' });

  at('2030-01-08T10:00:00Z');
  await stat(user, 'kills', 106, 6);
  const completed = await row(user, G);
  expect(completed).toMatchObject({ progress: 106, baseline_value: 96, status: 'completed' });
  expect(completed.completed_at).not.toBeNull();
  expect(await shown(user, C, G)).toEqual({ progress: 10, status: 'completed' });

  at('2030-01-08T10:01:00Z');
  const first = await claim(user, C, G);
  expect(first.status).toBe(200);
  expect(first.body.reward).toEqual({ type: 'WALLET', rewardId: 'GOLD', quantity: 50 });
  expect(await shown(user, C, G)).toEqual({ progress: 10, status: 'claimed' });

  // D2: the list shows the new period without writing anything.
  at('2030-01-09T08:00:00Z');
  const before = await row(user, G);
  expect(await shown(user, C, G)).toEqual({ progress: 0, status: 'not_started' });
  const rejected = await claim(user, C, G);
  expect(rejected).toMatchObject({ status: 400, body: { error: 'GOAL_NOT_COMPLETED' } });
  expect(await row(user, G)).toEqual(before);
  expect(before).toMatchObject({ status: 'claimed', period_start: '2030-01-08' });

  // The first event of D2 starts the new period; it counts its own increment.
  at('2030-01-09T08:30:00Z');
  await stat(user, 'kills', 110, 4);
  expect(await row(user, G)).toMatchObject({
    progress: 110,
    baseline_value: 106,
    status: 'in_progress',
    completed_at: null,
    claimed_at: null,
    period_start: '2030-01-09',
    expires_at: new Date('2030-01-10T00:00:00Z'),
  });
  expect(await shown(user, C, G)).toEqual({ progress: 4, status: 'in_progress' });

  at('2030-01-09T09:00:00Z');
  await stat(user, 'kills', 117, 7);
  expect(await row(user, G)).toMatchObject({ baseline_value: 106, status: 'completed' });
  expect(await shown(user, C, G)).toEqual({ progress: 11, status: 'completed' });

  const second = await claim(user, C, G);
  expect(second.status).toBe(200);
  const keys = grants.filter((g) => g.userId === user).map((g) => g.idempotencyKey);
  expect(keys).toEqual([`${NAMESPACE}:${user}:${G}:2030-01-08`, `${NAMESPACE}:${user}:${G}:2030-01-09`]);
  expect(await shown(user, C, G)).toEqual({ progress: 11, status: 'claimed' });
}, 30_000);

test('weekly-wins-no-reset: completed on Sunday stays completed on Monday and can be claimed', async () => {
  const user = 'weekly-no-reset';
  const C = 'weekly-challenges';
  const G = 'weekly-wins-no-reset';
  at('2030-01-13T20:00:00Z'); // a Sunday
  await api('POST', '/v1/challenges/initialize', user);
  await stat(user, 'wins', 10, 5);
  expect(await shown(user, C, G)).toEqual({ progress: 5, status: 'completed' });

  at('2030-01-14T09:00:00Z'); // Monday: a new weekly period
  const monday = await goalView(user, C, G);
  expect(monday).toMatchObject({ progress: 5, status: 'completed', expiresAt: '2030-01-21T00:00:00Z' });
  const claimed = await claim(user, C, G);
  expect(claimed.status).toBe(200);
  expect(await shown(user, C, G)).toEqual({ progress: 5, status: 'claimed' });
  expect((await row(user, G)).status).toBe('claimed');
  // Later events of the new week leave the claimed goal alone.
  await stat(user, 'wins', 20, 10);
  expect(await shown(user, C, G)).toEqual({ progress: 5, status: 'claimed' });
}, 30_000);

test('daily-wins-no-reselect: claimed stays claimed the next day', async () => {
  const user = 'no-reselect';
  const C = 'rotation-daily';
  const G = 'daily-wins-no-reselect';
  at('2030-01-15T10:00:00Z');
  await api('POST', '/v1/challenges/initialize', user);
  await stat(user, 'wins', 3, 3);
  expect((await claim(user, C, G)).status).toBe(200);

  at('2030-01-16T10:00:00Z');
  expect(await shown(user, C, G)).toEqual({ progress: 3, status: 'claimed' });
  await stat(user, 'wins', 10, 7);
  expect((await row(user, G)).status).toBe('claimed');
  expect(await shown(user, C, G)).toEqual({ progress: 3, status: 'claimed' });
  expect(await claim(user, C, G)).toMatchObject({ status: 409, body: { error: 'GOAL_ALREADY_CLAIMED' } });
  expect(grants.filter((g) => g.userId === user)).toHaveLength(1);
}, 30_000);

test('daily-login-rotation: one login completes it, each day again', async () => {
  const user = 'login-rotation';
  const C = 'rotation-daily';
  const G = 'daily-login-rotation';
  at('2030-01-17T07:00:00Z');
  await api('POST', '/v1/challenges/initialize', user);
  await login(user);
  expect(await shown(user, C, G)).toEqual({ progress: 1, status: 'completed' });
  expect((await row(user, G)).baseline_value).not.toBeNull();

  at('2030-01-18T07:00:00Z');
  expect(await goalView(user, C, G)).toMatchObject({
    progress: 0,
    status: 'not_started',
    expiresAt: '2030-01-19T00:00:00Z',
  });
  await login(user);
  expect(await shown(user, C, G)).toEqual({ progress: 1, status: 'completed' });
  expect(await row(user, G)).toMatchObject({ period_start: '2030-01-18', status: 'completed' });
}, 30_000);

test('every rotating goal shows when its period ends: list, one challenge, initialize, rotation status', async () => {
  const user = 'expiry';
  at('2030-01-22T12:00:00Z'); // a Tuesday
  const ends: Record<string, string> = {
    'rotation-daily': '2030-01-23T00:00:00Z',
    'weekly-challenges': '2030-01-28T00:00:00Z',
    'monthly-challenges': '2030-02-01T00:00:00Z',
  };
  const check = (goal: GoalView, challengeId: string) => {
    const end = ends[challengeId] ?? '';
    expect({ goalId: goal.goalId, expiresAt: goal.expiresAt }).toEqual({
      goalId: goal.goalId,
      expiresAt: end,
    });
    const seconds = (Date.parse(end) - clock.now().getTime()) / 1000;
    expect(goal.expiresInSeconds).toBeGreaterThan(seconds - 30);
    expect(goal.expiresInSeconds).toBeLessThanOrEqual(seconds);
  };
  const listAndOne = async (assigned: boolean) => {
    const list = await api<{ challenges: { challengeId: string; goals: GoalView[] }[] }>(
      'GET',
      '/v1/challenges',
      user,
    );
    for (const challengeId of ROTATING_CHALLENGES) {
      const challenge = list.body.challenges.find((c) => c.challengeId === challengeId);
      expect(challenge?.goals.length).toBeGreaterThan(0);
      for (const goal of challenge?.goals ?? []) {
        expect(goal.isActive).toBe(assigned);
        check(goal, challengeId);
      }
      const one = await api<{ goals: GoalView[] }>('GET', `/v1/challenges/${challengeId}`, user);
      for (const goal of one.body.goals) check(goal, challengeId);
    }
  };
  await listAndOne(false);

  const init = await api<{ assignedGoals: AssignedGoal[] }>('POST', '/v1/challenges/initialize', user);
  const rotating = init.body.assignedGoals.filter((g) => ROTATING_CHALLENGES.includes(g.challengeId));
  expect(rotating).toHaveLength(8);
  for (const goal of rotating) expect(goal.expiresAt).toBe(ends[goal.challengeId] ?? '');
  await listAndOne(true);

  for (const challengeId of ROTATING_CHALLENGES) {
    const status = await api<{ rotation: { currentPeriod: { endTime: string; expiresInSeconds: number } } }>(
      'GET',
      `/v1/challenges/${challengeId}/rotation`,
      user,
    );
    expect(status.status).toBe(200);
    expect(status.body.rotation.currentPeriod.endTime).toBe(ends[challengeId] ?? '');
    expect(status.body.rotation.currentPeriod.expiresInSeconds).toBeGreaterThan(0);
  }
  expect((await api('GET', '/v1/challenges/winter-challenge-2025/rotation', user)).body['rotation']).toEqual({
    enabled: false,
    type: '',
    schedule: '',
    currentPeriod: null,
    nextPeriod: null,
  });
}, 30_000);

test("a returning player's /initialize after a boundary shows and stores the reset state", async () => {
  const user = 'returning';
  const G = 'daily-challenges-goal-01';
  at('2030-01-29T10:00:00Z'); // a Tuesday
  await api('POST', '/v1/challenges/initialize', user);
  await stat(user, 'kills', 100, 12);
  expect((await row(user, G)).status).toBe('completed');
  const weeklyBefore = await row(user, 'weekly-challenges-goal-01');

  at('2030-01-30T10:00:00Z');
  const init = await api<{ assignedGoals: AssignedGoal[]; newAssignments: number }>(
    'POST',
    '/v1/challenges/initialize',
    user,
  );
  expect(init.body.newAssignments).toBe(0);
  expect(init.body.assignedGoals.find((g) => g.goalId === G)).toMatchObject({
    progress: 0,
    status: 'not_started',
    expiresAt: '2030-01-31T00:00:00Z',
  });
  const stored = await row(user, G);
  expect(stored).toMatchObject({
    progress: 100,
    status: 'not_started',
    baseline_value: null,
    completed_at: null,
    claimed_at: null,
    period_start: '2030-01-30',
    expires_at: new Date('2030-01-31T00:00:00Z'),
  });
  // The weekly goal is still in its period: not written.
  expect(await row(user, 'weekly-challenges-goal-01')).toEqual(weeklyBefore);

  // Nothing left to roll over: the next call writes nothing.
  await api('POST', '/v1/challenges/initialize', user);
  expect((await row(user, G)).version).toBe(stored.version);

  // The next event measures from its own increment, not from the last period's baseline.
  await stat(user, 'kills', 103, 3);
  expect(await shown(user, 'rotation-daily', G)).toEqual({ progress: 3, status: 'in_progress' });
}, 30_000);
