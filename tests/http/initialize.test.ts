/** POST /v1/challenges/initialize: default assignment, idempotency under races, config sync, the one-read fast path. */
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { parseChallengeConfig } from '../../src/config/challenge-config.ts';
import { writeProgressState } from '../../src/db/progress-rows.ts';
import { type Catalog, createCatalog } from '../../src/domain/catalog.ts';
import type { GoalJson } from '../helpers/api-json.ts';
import { createTestApp, TEST_CONFIG_PATH, type TestApp } from '../helpers/test-app.ts';
import { createTestDb } from '../helpers/test-db.ts';

interface AssignedGoal {
  challengeId: string;
  goalId: string;
  name: string;
  description: string;
  isActive: boolean;
  assignedAt: string;
  expiresAt: string;
  progress: number;
  target: number;
  status: string;
  requirement: { statCode: string; operator: string; targetValue: number };
  reward: { type: string; rewardId: string; quantity: number };
}

interface InitializeBody {
  assignedGoals: AssignedGoal[];
  newAssignments: number;
  totalActive: number;
}

const ASSIGNED_GOAL_KEYS = [
  'challengeId',
  'goalId',
  'name',
  'description',
  'isActive',
  'assignedAt',
  'expiresAt',
  'progress',
  'target',
  'status',
  'requirement',
  'reward',
];
const DEFAULTS = ['defeat-10-enemies', 'login-3-times', 'tutorial'];

const app = await createTestApp();
afterAll(() => app.close());
afterEach(() => app.setNow(undefined));

async function initialize(target: TestApp, user: string): Promise<InitializeBody> {
  const { status, body } = await target.json<InitializeBody>('POST', '/v1/challenges/initialize', { user });
  expect(status).toBe(200);
  return body;
}

async function setActive(
  target: TestApp,
  user: string,
  challengeId: string,
  goalId: string,
  isActive: boolean,
) {
  const response = await target.request('PUT', `/v1/challenges/${challengeId}/goals/${goalId}/active`, {
    user,
    body: { isActive },
  });
  expect(response.status).toBe(200);
}

async function goalsOf(target: TestApp, user: string): Promise<GoalJson[]> {
  const { status, body } = await target.json<{ challenges: { goals: GoalJson[] }[] }>(
    'GET',
    '/v1/challenges',
    {
      user,
    },
  );
  expect(status).toBe(200);
  return body.challenges.flatMap((challenge) => challenge.goals);
}

interface RawConfig {
  challenges: { goals: { goalId: string; defaultAssigned?: boolean }[] }[];
}

/** The test configuration with some goals' `defaultAssigned` changed. */
function catalogWithDefaults(changes: Record<string, boolean>): Catalog {
  const raw = JSON.parse(readFileSync(TEST_CONFIG_PATH, 'utf8')) as RawConfig;
  for (const challenge of raw.challenges) {
    for (const goal of challenge.goals) {
      const change = changes[goal.goalId];
      if (change !== undefined) goal.defaultAssigned = change;
    }
  }
  return createCatalog(parseChallengeConfig(raw, 'test'));
}

describe('POST /v1/challenges/initialize', () => {
  test('a new player gets exactly the default goals', async () => {
    app.setNow(new Date('2026-03-10T12:00:00.456Z'));
    const response = await app.request('POST', '/v1/challenges/initialize', { user: 'new-player' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toStartWith('application/json');
    const body = (await response.json()) as InitializeBody;
    expect(Object.keys(body)).toEqual(['assignedGoals', 'newAssignments', 'totalActive']);
    expect(body.newAssignments).toBe(3);
    expect(body.totalActive).toBe(3);
    expect(body.assignedGoals.map((goal) => goal.goalId)).toEqual(DEFAULTS);
    for (const goal of body.assignedGoals) expect(Object.keys(goal)).toEqual(ASSIGNED_GOAL_KEYS);
    expect(body.assignedGoals[0]).toEqual({
      challengeId: 'starter-challenge',
      goalId: 'defeat-10-enemies',
      name: 'Defeat 10 Enemies',
      description: 'Defeat 10 enemies.',
      isActive: true,
      assignedAt: '2026-03-10T12:00:00Z',
      expiresAt: '',
      progress: 0,
      target: 10,
      status: 'not_started',
      requirement: { statCode: 'enemy_kills', operator: '>=', targetValue: 10 },
      reward: { type: 'ITEM', rewardId: 'bronze_sword', quantity: 1 },
    });
    expect(body.assignedGoals[2]).toMatchObject({
      challengeId: 'progression',
      goalId: 'tutorial',
      target: 1,
      reward: { type: 'ITEM', rewardId: 'starter_pack', quantity: 1 },
    });

    const goals = await goalsOf(app, 'new-player');
    expect(goals.filter((goal) => goal.isActive).map((goal) => goal.goalId)).toEqual(DEFAULTS);
    for (const goal of goals.filter((g) => g.isActive)) {
      expect(goal).toMatchObject({ progress: 0, status: 'not_started' });
    }
  });

  test('a second call assigns nothing new and reports the same goals with their first assignment time', async () => {
    app.setNow(new Date('2026-03-10T08:00:00Z'));
    const first = await initialize(app, 'twice-player');
    app.setNow(new Date('2026-03-11T09:00:00Z'));
    const second = await initialize(app, 'twice-player');
    expect(second.newAssignments).toBe(0);
    expect(second.totalActive).toBe(first.totalActive);
    expect(second.assignedGoals).toEqual(first.assignedGoals);
    expect(second.assignedGoals.every((goal) => goal.assignedAt === '2026-03-10T08:00:00Z')).toBe(true);
  });

  test('an empty JSON body is accepted', async () => {
    const { status, body } = await app.json<InitializeBody>('POST', '/v1/challenges/initialize', {
      user: 'empty-body-player',
      body: {},
    });
    expect(status).toBe(200);
    expect(body.newAssignments).toBe(3);
  });

  test('assigned goals show the player’s current progress', async () => {
    await initialize(app, 'progress-player');
    await writeProgressState(app.db.pool, {
      userId: 'progress-player',
      goalId: 'defeat-10-enemies',
      progress: 4,
      status: 'in_progress',
      completedAt: null,
      now: new Date(),
    });
    const body = await initialize(app, 'progress-player');
    expect(body.assignedGoals.find((goal) => goal.goalId === 'defeat-10-enemies')).toMatchObject({
      progress: 4,
      target: 10,
      status: 'in_progress',
    });
  });

  test('racing first calls of one player create each default once between them', async () => {
    const users = ['race-1', 'race-2', 'race-3'];
    await app.db.pool`delete from outbox_messages where user_id = any(${users})`;
    const results = await Promise.all(
      users.flatMap((user) =>
        Array.from({ length: 12 }, () => initialize(app, user).then((body) => ({ user, body }))),
      ),
    );
    for (const user of users) {
      const mine = results.filter((result) => result.user === user).map((result) => result.body);
      expect(mine).toHaveLength(12);
      expect(mine.reduce((sum, body) => sum + body.newAssignments, 0)).toBe(3);
      for (const body of mine) {
        expect(body.totalActive).toBe(3);
        expect(body.assignedGoals.map((goal) => goal.goalId)).toEqual(DEFAULTS);
      }
    }
    // What a webhook receives: one assignment per goal, however many calls raced.
    const messages = await app.db.pool<{ user_id: string; goal_id: string }[]>`
      select user_id, goal_id from outbox_messages
      where user_id = any(${users}) and type = 'goal.assigned' order by user_id, goal_id`;
    expect(messages.map((m) => `${m.user_id}/${m.goal_id}`)).toEqual(
      users.flatMap((user) => [...DEFAULTS].sort().map((goalId) => `${user}/${goalId}`)),
    );
  });

  test('activated non-default goals are listed with the defaults, in configuration order', async () => {
    const user = 'activated-player';
    await setActive(app, user, 'progression', 'reach-level-5', true);
    await setActive(app, user, 'daily-quests', 'daily-login', true);
    const body = await initialize(app, user);
    expect(body.newAssignments).toBe(3);
    expect(body.totalActive).toBe(5);
    expect(body.assignedGoals.map((goal) => goal.goalId)).toEqual([
      'defeat-10-enemies',
      'login-3-times',
      'daily-login',
      'tutorial',
      'reach-level-5',
    ]);
  });

  test('a default goal the player deactivated stays deactivated', async () => {
    const user = 'deactivating-player';
    await initialize(app, user);
    await setActive(app, user, 'starter-challenge', 'login-3-times', false);
    const body = await initialize(app, user);
    expect(body.newAssignments).toBe(0);
    expect(body.totalActive).toBe(2);
    expect(body.assignedGoals.map((goal) => goal.goalId)).toEqual(['defeat-10-enemies', 'tutorial']);
    expect((await goalsOf(app, user)).find((goal) => goal.goalId === 'login-3-times')?.isActive).toBe(false);
  });
});

describe('initialize with a changed configuration', () => {
  test('a returning player gets only the defaults added since, and keeps deactivated goals off', async () => {
    await using db = await createTestDb();
    const before = await createTestApp({ db, catalog: catalogWithDefaults({}) });
    const after = await createTestApp({
      db,
      catalog: catalogWithDefaults({ 'play-5-matches': true, 'login-3-days': true }),
    });

    expect((await initialize(before, 'sync-player')).newAssignments).toBe(3);
    await setActive(before, 'sync-player', 'daily-quests', 'login-3-days', false);
    await setActive(before, 'sync-player', 'starter-challenge', 'defeat-10-enemies', false);

    const synced = await initialize(after, 'sync-player');
    expect(synced.newAssignments).toBe(1);
    expect(synced.totalActive).toBe(3);
    expect(synced.assignedGoals.map((goal) => goal.goalId)).toEqual([
      'login-3-times',
      'play-5-matches',
      'tutorial',
    ]);
    const goals = await goalsOf(after, 'sync-player');
    expect(goals.find((goal) => goal.goalId === 'login-3-days')?.isActive).toBe(false);
    expect(goals.find((goal) => goal.goalId === 'defeat-10-enemies')?.isActive).toBe(false);

    const again = await initialize(after, 'sync-player');
    expect(again.newAssignments).toBe(0);
    expect(again.totalActive).toBe(3);

    const newcomer = await initialize(after, 'sync-newcomer');
    expect(newcomer.newAssignments).toBe(5);
    expect(newcomer.totalActive).toBe(5);
  });
});

describe('returning-player fast path', () => {
  test('is a single statement that reads through the primary key', async () => {
    await using db = await createTestDb();
    const statements: { query: string; parameters: string[] }[] = [];
    const counting = postgres(db.url, {
      max: 1,
      onnotice: () => {},
      connection: { TimeZone: 'UTC' },
      debug: (_connection, query, parameters) => {
        statements.push({ query, parameters: parameters.map(String) });
      },
    });
    try {
      await counting`select 1`;
      const counted = await createTestApp({ db: { ...db, pool: counting } });
      await db.pool`
        insert into user_goal_progress (user_id, goal_id, challenge_id, namespace)
        select 'other-' || n, g.goal_id, g.challenge_id, 'test-namespace'
        from generate_series(1, 2000) as n
        cross join (values ('defeat-10-enemies', 'starter-challenge'), ('login-3-times', 'starter-challenge'),
                           ('tutorial', 'progression')) as g(goal_id, challenge_id)`;
      await db.pool`analyze user_goal_progress`;

      expect((await initialize(counted, 'returning-player')).newAssignments).toBe(3);
      // The new player's notice follows the commit, in a statement of its own.
      await counted.notices.settled();
      statements.length = 0;
      const returning = await initialize(counted, 'returning-player');
      expect(returning.newAssignments).toBe(0);
      expect(returning.totalActive).toBe(3);

      expect(statements).toHaveLength(1);
      const [statement] = statements;
      if (!statement) throw new Error('no statement recorded');
      expect(statement.parameters).toEqual(['returning-player']);
      const plan = await db.pool.unsafe<{ 'QUERY PLAN': string }[]>(
        `explain ${statement.query}`,
        statement.parameters,
      );
      const text = plan.map((row) => row['QUERY PLAN']).join('\n');
      expect(text).toMatch(
        /(Index Scan|Index Only Scan) using user_goal_progress_pkey|Bitmap Index Scan on user_goal_progress_pkey/,
      );
      expect(text).not.toContain('Seq Scan');
    } finally {
      await counting.end({ timeout: 5 });
    }
  });
});
