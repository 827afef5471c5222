/** POST /v1/challenges/{challengeId}/goals/batch-select and /random-select. */
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { loadChallengeConfig } from '../../src/config/challenge-config.ts';
import { writeProgressState } from '../../src/db/progress-rows.ts';
import { createCatalog } from '../../src/domain/catalog.ts';
import type { Challenge } from '../../src/domain/types.ts';
import type { ErrorBody, GoalJson } from '../helpers/api-json.ts';
import { makeGoal } from '../helpers/goals.ts';
import { createTestApp, TEST_CONFIG_PATH } from '../helpers/test-app.ts';

interface SelectedGoal {
  goalId: string;
  name: string;
  description: string;
  requirement: { statCode: string; operator: string; targetValue: number };
  reward: { type: string; rewardId: string; quantity: number };
  status: string;
  progress: number;
  target: number;
  isActive: boolean;
  assignedAt: string;
  expiresAt: string;
}

interface SelectionBody {
  selectedGoals: SelectedGoal[];
  challengeId: string;
  totalActiveGoals: number;
  replacedGoals: string[];
}

/** Six goals with no prerequisites, one whose prerequisite is in another challenge. */
const POOL = 'pick-six';
const POOL_GOALS = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
const pickSix: Challenge = {
  challengeId: POOL,
  name: 'Pick Six',
  description: 'Goals to choose from.',
  goals: [
    ...POOL_GOALS.map((goalId, i) =>
      makeGoal({ goalId, challengeId: POOL, name: `Goal ${goalId}`, targetValue: 10 + i }),
    ),
    makeGoal({ goalId: 'after-tutorial', challengeId: POOL, prerequisites: ['tutorial'] }),
  ],
};
/** A relative goal rotating daily, to see the read path's rotation and baseline in selection answers. */
const ROTATING = 'rotating-picks';
const rotatingPicks: Challenge = {
  challengeId: ROTATING,
  name: 'Rotating Picks',
  description: 'Starts over every UTC day.',
  goals: [
    makeGoal({
      goalId: 'daily-kills',
      challengeId: ROTATING,
      progressMode: 'relative',
      rotation: { schedule: 'daily', resetProgress: true, allowReselection: true },
    }),
  ],
};
const catalog = createCatalog([...loadChallengeConfig(TEST_CONFIG_PATH), pickSix, rotatingPicks]);

const app = await createTestApp({ catalog, poolSize: 12 });
afterAll(() => app.close());
afterEach(() => app.setNow(undefined));

const batchPath = (challengeId: string) => `/v1/challenges/${challengeId}/goals/batch-select`;
const randomPath = (challengeId: string) => `/v1/challenges/${challengeId}/goals/random-select`;

const batch = (user: string, body: unknown, challengeId = POOL) =>
  app.json<SelectionBody>('POST', batchPath(challengeId), { user, body });
const batchError = (user: string, body: unknown, challengeId = POOL) =>
  app.json<ErrorBody>('POST', batchPath(challengeId), { user, body });
const random = (user: string, body: unknown, challengeId = POOL) =>
  app.json<SelectionBody>('POST', randomPath(challengeId), { user, body });
const randomError = (user: string, body: unknown, challengeId = POOL) =>
  app.json<ErrorBody>('POST', randomPath(challengeId), { user, body });

async function goalsOf(user: string, challengeId = POOL): Promise<GoalJson[]> {
  const { body } = await app.json<{ goals: GoalJson[] }>('GET', `/v1/challenges/${challengeId}`, { user });
  return body.goals;
}
const activeIds = async (user: string, challengeId = POOL) =>
  (await goalsOf(user, challengeId)).filter((goal) => goal.isActive).map((goal) => goal.goalId);
async function goal(user: string, goalId: string, challengeId = POOL): Promise<GoalJson> {
  const found = (await goalsOf(user, challengeId)).find((g) => g.goalId === goalId);
  if (!found) throw new Error(`goal '${goalId}' not listed`);
  return found;
}

const setProgress = (
  userId: string,
  goalId: string,
  progress: number,
  status: 'in_progress' | 'completed' | 'claimed',
) =>
  writeProgressState(app.db.pool, {
    userId,
    goalId,
    progress,
    status,
    completedAt: status === 'in_progress' ? null : new Date('2026-03-10T09:00:00Z'),
    claimedAt: status === 'claimed' ? new Date('2026-03-10T09:30:00Z') : null,
    now: new Date('2026-03-10T09:30:00Z'),
  });

async function assignedAtOf(userId: string, goalId: string): Promise<Date | null> {
  const rows = await app.db.pool<{ assigned_at: Date | null }[]>`
    select assigned_at from user_goal_progress where user_id = ${userId} and goal_id = ${goalId}`;
  return rows[0]?.assigned_at ?? null;
}

describe('batch-select', () => {
  test('3 ids → 3 selected goals, not started and active, totalActiveGoals 3', async () => {
    app.setNow(new Date('2026-03-10T10:20:30.400Z'));
    const response = await app.request('POST', batchPath(POOL), {
      user: 'batch-three',
      body: { goalIds: ['p3', 'p1', 'p2'] },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toStartWith('application/json');
    const body = (await response.json()) as SelectionBody;
    expect(Object.keys(body)).toEqual(['selectedGoals', 'challengeId', 'totalActiveGoals', 'replacedGoals']);
    expect(body.challengeId).toBe(POOL);
    expect(body.totalActiveGoals).toBe(3);
    expect(body.replacedGoals).toEqual([]);
    expect(body.selectedGoals.map((g) => g.goalId)).toEqual(['p3', 'p1', 'p2']);
    expect(Object.keys(body.selectedGoals[0] ?? {})).toEqual([
      'goalId',
      'name',
      'description',
      'requirement',
      'reward',
      'status',
      'progress',
      'target',
      'isActive',
      'assignedAt',
      'expiresAt',
    ]);
    expect(body.selectedGoals[0]).toEqual({
      goalId: 'p3',
      name: 'Goal p3',
      description: '',
      requirement: { statCode: 'enemy_kills', operator: '>=', targetValue: 12 },
      reward: { type: 'ITEM', rewardId: 'bronze_sword', quantity: 1 },
      status: 'not_started',
      progress: 0,
      target: 12,
      isActive: true,
      assignedAt: '2026-03-10T10:20:30Z',
      expiresAt: '',
    });
    expect(await activeIds('batch-three')).toEqual(['p1', 'p2', 'p3']);
  });

  test('replace mode with 2 active: both replaced, 3 active, progress and assignment time kept', async () => {
    const user = 'batch-replace';
    app.setNow(new Date('2026-03-10T08:00:00Z'));
    expect((await batch(user, { goalIds: ['p1', 'p2'] })).status).toBe(200);
    await setProgress(user, 'p1', 4, 'in_progress');
    app.setNow(new Date('2026-03-10T09:00:00Z'));

    const { status, body } = await batch(user, { goalIds: ['p3', 'p4', 'p5'], replaceExisting: true });
    expect(status).toBe(200);
    expect(body.replacedGoals).toEqual(['p1', 'p2']);
    expect(body.totalActiveGoals).toBe(3);
    expect(await activeIds(user)).toEqual(['p3', 'p4', 'p5']);
    expect(await goal(user, 'p1')).toMatchObject({ isActive: false, progress: 4, status: 'in_progress' });
    expect(await assignedAtOf(user, 'p1')).toEqual(new Date('2026-03-10T08:00:00Z'));
  });

  test('add mode with 2 active + 2 new → 4 active, nothing replaced', async () => {
    const user = 'batch-add';
    await batch(user, { goalIds: ['p1', 'p2'] });
    const { status, body } = await batch(user, { goalIds: ['p3', 'p4'] });
    expect(status).toBe(200);
    expect(body).toMatchObject({ totalActiveGoals: 4, replacedGoals: [] });
    expect(await activeIds(user)).toEqual(['p1', 'p2', 'p3', 'p4']);
  });

  test('replace keeps a goal that is selected again: still active, same assignment time, not replaced', async () => {
    const user = 'batch-keep';
    app.setNow(new Date('2026-03-10T08:00:00Z'));
    await batch(user, { goalIds: ['p1', 'p2'] });
    app.setNow(new Date('2026-03-10T09:00:00Z'));
    const { body } = await batch(user, { goalIds: ['p2', 'p3'], replaceExisting: true });
    expect(body.replacedGoals).toEqual(['p1']);
    expect(body.totalActiveGoals).toBe(2);
    expect(body.selectedGoals.map((g) => [g.goalId, g.assignedAt])).toEqual([
      ['p2', '2026-03-10T08:00:00Z'],
      ['p3', '2026-03-10T09:00:00Z'],
    ]);
  });

  test('selecting the same goals again changes nothing and answers the same', async () => {
    const user = 'batch-again';
    app.setNow(new Date('2026-03-10T08:00:00Z'));
    const first = await batch(user, { goalIds: ['p1', 'p2'], replaceExisting: true });
    app.setNow(new Date('2026-03-10T12:00:00Z'));
    const second = await batch(user, { goalIds: ['p1', 'p2'], replaceExisting: true });
    expect(second).toEqual(first);
    expect(second.body.totalActiveGoals).toBe(2);
  });

  test('selected goals show their stored progress and status, as the list does', async () => {
    const user = 'batch-real-state';
    await batch(user, { goalIds: ['p1', 'p2', 'p3'] });
    await setProgress(user, 'p1', 4, 'in_progress');
    await setProgress(user, 'p2', 11, 'completed');
    await setProgress(user, 'p3', 12, 'claimed');
    await batch(user, { goalIds: ['p4'], replaceExisting: true });

    const { body } = await batch(user, { goalIds: ['p1', 'p2', 'p3'] });
    expect(
      body.selectedGoals.map(({ goalId, progress, status, isActive }) => ({
        goalId,
        progress,
        status,
        isActive,
      })),
    ).toEqual([
      { goalId: 'p1', progress: 4, status: 'in_progress', isActive: true },
      { goalId: 'p2', progress: 11, status: 'completed', isActive: true },
      { goalId: 'p3', progress: 12, status: 'claimed', isActive: true },
    ]);
    const listed = await goalsOf(user);
    for (const selected of body.selectedGoals) {
      expect(listed.find((g) => g.goalId === selected.goalId)).toMatchObject({
        progress: selected.progress,
        status: selected.status,
        isActive: true,
      });
    }
  });

  test('a daily goal completed on an earlier day shows open again, with its expiry', async () => {
    const user = 'batch-daily';
    app.setNow(new Date('2026-03-10T10:00:00Z'));
    await batch(user, { goalIds: ['daily-login'] }, 'daily-quests');
    await writeProgressState(app.db.pool, {
      userId: user,
      goalId: 'daily-login',
      progress: 1,
      status: 'completed',
      completedAt: new Date('2026-03-10T10:00:00Z'),
      progressDay: '2026-03-10',
      now: new Date('2026-03-10T10:00:00Z'),
    });
    const sameDay = await batch(user, { goalIds: ['daily-login'] }, 'daily-quests');
    expect(sameDay.body.selectedGoals[0]).toMatchObject({
      status: 'completed',
      progress: 1,
      expiresAt: '2026-03-11T00:00:00Z',
    });
    app.setNow(new Date('2026-03-11T07:00:00Z'));
    const nextDay = await batch(user, { goalIds: ['daily-login'] }, 'daily-quests');
    expect(nextDay.body.selectedGoals[0]).toMatchObject({
      status: 'not_started',
      progress: 0,
      isActive: true,
      expiresAt: '2026-03-12T00:00:00Z',
    });
  });

  test('a rotating relative goal shows progress from its baseline, and starts over in a new period', async () => {
    const user = 'batch-rotating';
    app.setNow(new Date('2026-03-10T10:00:00Z'));
    await batch(user, { goalIds: ['daily-kills'] }, ROTATING);
    await app.db.pool`
      update user_goal_progress
      set progress = 15, baseline_value = 10, status = 'in_progress', period_start = '2026-03-10'
      where user_id = ${user} and goal_id = 'daily-kills'`;
    const sameDay = await batch(user, { goalIds: ['daily-kills'] }, ROTATING);
    expect(sameDay.body.selectedGoals[0]).toMatchObject({
      status: 'in_progress',
      progress: 5,
      expiresAt: '2026-03-11T00:00:00Z',
    });

    app.setNow(new Date('2026-03-11T09:00:00Z'));
    const nextDay = await batch(user, { goalIds: ['daily-kills'] }, ROTATING);
    expect(nextDay.body.selectedGoals[0]).toMatchObject({
      status: 'not_started',
      progress: 0,
      isActive: true,
      expiresAt: '2026-03-12T00:00:00Z',
    });
  });

  test('a goal completed in an earlier rotation period is in the random pool again', async () => {
    const user = 'random-rotated';
    app.setNow(new Date('2026-03-10T10:00:00Z'));
    await batch(user, { goalIds: ['daily-kills'] }, ROTATING);
    await app.db.pool`
      update user_goal_progress
      set progress = 30, baseline_value = 10, status = 'completed', completed_at = now(),
        period_start = '2026-03-10', is_active = false
      where user_id = ${user} and goal_id = 'daily-kills'`;
    const done = await randomError(user, { count: 1 }, ROTATING);
    expect(done.body.error).toBe('INSUFFICIENT_GOALS');
    app.setNow(new Date('2026-03-11T10:00:00Z'));
    const { status, body } = await random(user, { count: 1 }, ROTATING);
    expect(status).toBe(200);
    expect(body.selectedGoals[0]).toMatchObject({
      goalId: 'daily-kills',
      status: 'not_started',
      progress: 0,
    });
  });

  test('repeated ids count once, in first-occurrence order, also for goals with no row yet', async () => {
    const { status, body } = await batch('batch-dupes', { goalIds: ['p2', 'p1', 'p2', 'p1', 'p2'] });
    expect(status).toBe(200);
    expect(body.selectedGoals.map((g) => g.goalId)).toEqual(['p2', 'p1']);
    expect(body.totalActiveGoals).toBe(2);
  });

  test('an unknown goal is 404 and nothing changes, not even the valid ids before it', async () => {
    const user = 'batch-unknown';
    await batch(user, { goalIds: ['p1'] });
    const { status, body } = await batchError(user, {
      goalIds: ['p2', 'no-such-goal', 'p3'],
      replaceExisting: true,
    });
    expect(status).toBe(404);
    expect(body).toEqual({
      error: 'GOAL_NOT_FOUND',
      code: 5,
      message: `Goal 'no-such-goal' not found in challenge '${POOL}'`,
      details: [],
    });
    expect(await activeIds(user)).toEqual(['p1']);
  });

  test('a goal of another challenge is 404 GOAL_NOT_FOUND, and nothing changes', async () => {
    const user = 'batch-foreign';
    const { status, body } = await batchError(user, { goalIds: ['p1', 'tutorial'] });
    expect(status).toBe(404);
    expect(body).toMatchObject({
      error: 'GOAL_NOT_FOUND',
      code: 5,
      message: `Goal 'tutorial' not found in challenge '${POOL}'`,
    });
    expect(await activeIds(user)).toEqual([]);
  });

  test.each([
    ['an empty list', { goalIds: [] }],
    ['an empty snake_case list', { goal_ids: [], replace_existing: true }],
    ['no list at all', {}],
  ])('%s is 400 "goal_ids cannot be empty"', async (_name, requestBody) => {
    const { status, body } = await batchError('batch-empty', requestBody);
    expect(status).toBe(400);
    expect(body).toEqual({
      error: 'INVALID_REQUEST',
      code: 3,
      message: 'goal_ids cannot be empty',
      details: [],
    });
  });

  test('an unknown challenge is 404 CHALLENGE_NOT_FOUND', async () => {
    const { status, body } = await batchError('batch-no-challenge', { goalIds: ['p1'] }, 'no-such-challenge');
    expect(status).toBe(404);
    expect(body).toMatchObject({
      error: 'CHALLENGE_NOT_FOUND',
      code: 5,
      message: "Challenge 'no-such-challenge' not found",
    });
  });

  test('snake_case body: goal_ids and replace_existing', async () => {
    const user = 'batch-snake';
    await batch(user, { goalIds: ['p1'] });
    const { status, body } = await batch(user, { goal_ids: ['p2'], replace_existing: true });
    expect(status).toBe(200);
    expect(body).toMatchObject({ totalActiveGoals: 1, replacedGoals: ['p1'] });
    expect(await activeIds(user)).toEqual(['p2']);
  });

  test.each([
    ['goalIds as a string', { goalIds: 'p1' }, 'goalIds'],
    ['a number in goalIds', { goalIds: ['p1', 2] }, 'goalIds'],
    ['replaceExisting as a string', { goalIds: ['p1'], replaceExisting: 'yes' }, 'replaceExisting'],
    ['replace_existing as a number', { goal_ids: ['p1'], replace_existing: 1 }, 'replace_existing'],
  ])('%s is 400 INVALID_REQUEST naming the field', async (_name, requestBody, field) => {
    const user = 'batch-types';
    const { status, body } = await batchError(user, requestBody);
    expect(status).toBe(400);
    expect(body.error).toBe('INVALID_REQUEST');
    expect(body.message).toContain(field);
    expect(await activeIds(user)).toEqual([]);
  });

  test('malformed JSON is 400 INVALID_REQUEST', async () => {
    const { status, body } = await batchError('batch-json', '{"goalIds": [');
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'INVALID_REQUEST', message: 'Request body is not valid JSON' });
  });

  test('replace touches only this challenge and this player', async () => {
    const user = 'batch-scope';
    await batch(user, { goalIds: ['play-5-matches'] }, 'starter-challenge');
    await batch('batch-scope-other', { goalIds: ['p1'] });
    await batch(user, { goalIds: ['p1'] });
    const { body } = await batch(user, { goalIds: ['p2'], replaceExisting: true });
    expect(body).toMatchObject({ totalActiveGoals: 1, replacedGoals: ['p1'] });
    expect(await activeIds(user, 'starter-challenge')).toEqual(['play-5-matches']);
    expect(await activeIds('batch-scope-other')).toEqual(['p1']);
  });

  test('is authenticated like the other /v1 routes: a bad user is 401 on both routes', async () => {
    const headers = { 'x-mock-user-id': 'x'.repeat(101) };
    for (const path of [batchPath(POOL), randomPath(POOL)]) {
      const response = await app.request('POST', path, { headers, body: { goalIds: ['p1'], count: 1 } });
      expect(response.status).toBe(401);
      expect(((await response.json()) as ErrorBody).error).toBe('UNAUTHENTICATED');
    }
  });

  test('GET on the path is 405 naming POST', async () => {
    const response = await app.request('GET', batchPath(POOL), { user: 'batch-405' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});

describe('random-select', () => {
  test('count 3 → 3 distinct active goals from the pool', async () => {
    const user = 'random-three';
    app.setNow(new Date('2026-03-10T10:00:00Z'));
    const { status, body } = await random(user, { count: 3 });
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['selectedGoals', 'challengeId', 'totalActiveGoals', 'replacedGoals']);
    const ids = body.selectedGoals.map((g) => g.goalId);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(POOL_GOALS).toContain(id);
    expect(body).toMatchObject({ challengeId: POOL, totalActiveGoals: 3, replacedGoals: [] });
    for (const selected of body.selectedGoals)
      expect(selected).toMatchObject({
        status: 'not_started',
        progress: 0,
        isActive: true,
        assignedAt: '2026-03-10T10:00:00Z',
      });
    expect((await activeIds(user)).sort()).toEqual([...ids].sort());
  });

  test('excludeActive never draws an active goal: 2 active + 3 new = 5 active', async () => {
    for (let round = 0; round < 5; round++) {
      const user = `random-exclude-${round}`;
      await batch(user, { goalIds: ['p1', 'p2'] });
      const { status, body } = await random(user, { count: 3, excludeActive: true });
      expect(status).toBe(200);
      const ids = body.selectedGoals.map((g) => g.goalId);
      expect(ids).toHaveLength(3);
      expect(ids).not.toContain('p1');
      expect(ids).not.toContain('p2');
      expect(body).toMatchObject({ totalActiveGoals: 5, replacedGoals: [] });
    }
  });

  test('replace mode deactivates the previous goals, keeps their progress, leaves exactly N active', async () => {
    const user = 'random-replace';
    await batch(user, { goalIds: ['p1', 'p2'] });
    await setProgress(user, 'p1', 3, 'in_progress');
    const { status, body } = await random(user, { count: 2, replaceExisting: true });
    expect(status).toBe(200);
    const ids = body.selectedGoals.map((g) => g.goalId);
    expect(ids).not.toContain('p1');
    expect(ids).not.toContain('p2');
    expect(body).toMatchObject({ totalActiveGoals: 2, replacedGoals: ['p1', 'p2'] });
    expect((await activeIds(user)).sort()).toEqual([...ids].sort());
    expect(await goal(user, 'p1')).toMatchObject({ isActive: false, progress: 3, status: 'in_progress' });
  });

  test('a pool smaller than count gives the whole pool', async () => {
    const user = 'random-partial';
    await batch(user, { goalIds: ['p1', 'p2', 'p3', 'p4'] });
    const { status, body } = await random(user, { count: 5, exclude_active: true });
    expect(status).toBe(200);
    expect(body.selectedGoals.map((g) => g.goalId).sort()).toEqual(['p5', 'p6']);
    expect(body.totalActiveGoals).toBe(6);
  });

  test('without the flags active goals stay in the pool and are not counted twice', async () => {
    const user = 'random-active-pool';
    await batch(user, { goalIds: POOL_GOALS });
    const { body } = await random(user, { count: 10 });
    expect(body.selectedGoals.map((g) => g.goalId).sort()).toEqual(POOL_GOALS);
    expect(body).toMatchObject({ totalActiveGoals: 6, replacedGoals: [] });
  });

  test('completed, claimed and prerequisite-locked goals are never drawn', async () => {
    const user = 'random-pool-rules';
    await batch(user, { goalIds: ['p1', 'p2', 'p3', 'p4'] });
    await setProgress(user, 'p1', 10, 'completed');
    await setProgress(user, 'p2', 11, 'claimed');
    await setProgress(user, 'p3', 2, 'in_progress');
    await batch(user, { goalIds: ['p5'], replaceExisting: true });
    // Pool: p3 (in progress, inactive), p4 (inactive), p6 (no row); p5 is active; after-tutorial is locked.
    for (let round = 0; round < 10; round++) {
      const { body } = await random(user, { count: 10, excludeActive: true });
      expect(body.selectedGoals.map((g) => g.goalId).sort()).toEqual(['p3', 'p4', 'p6']);
      await batch(user, { goalIds: ['p5'], replaceExisting: true });
    }
    const { body } = await random(user, { count: 10, excludeActive: true });
    expect(body.selectedGoals.find((g) => g.goalId === 'p3')).toMatchObject({
      progress: 2,
      status: 'in_progress',
    });
  });

  test('a prerequisite in another challenge unlocks its dependant once completed', async () => {
    const user = 'random-prerequisite';
    await batch(user, { goalIds: POOL_GOALS });
    const locked = await randomError(user, { count: 1, excludeActive: true });
    expect(locked.status).toBe(400);
    expect(locked.body.error).toBe('INSUFFICIENT_GOALS');

    await app.request('POST', '/v1/challenges/initialize', { user });
    await setProgress(user, 'tutorial', 1, 'completed');
    const { status, body } = await random(user, { count: 1, excludeActive: true });
    expect(status).toBe(200);
    expect(body.selectedGoals.map((g) => g.goalId)).toEqual(['after-tutorial']);
  });

  test('the prerequisite chain of the progression challenge', async () => {
    const user = 'random-chain';
    const first = await random(user, { count: 3 }, 'progression');
    expect(first.body.selectedGoals.map((g) => g.goalId)).toEqual(['tutorial']);
    await setProgress(user, 'tutorial', 1, 'completed');
    const second = await random(user, { count: 3 }, 'progression');
    expect(second.body.selectedGoals.map((g) => g.goalId)).toEqual(['reach-level-5']);
  });

  test('an empty pool is 400 INSUFFICIENT_GOALS with the original message, and nothing changes', async () => {
    const user = 'random-empty';
    await batch(user, { goalIds: [...POOL_GOALS] });
    const { status, body } = await randomError(user, { count: 4, replaceExisting: true });
    expect(status).toBe(400);
    expect(body).toEqual({
      error: 'INSUFFICIENT_GOALS',
      code: 3,
      message: 'INSUFFICIENT_GOALS: no goals available for selection (available: 0, requested: 4)',
      details: [],
    });
    expect(await activeIds(user)).toEqual(POOL_GOALS);
  });

  test.each([
    ['count 0', { count: 0 }],
    ['a negative count', { count: -2 }],
    ['a fractional count', { count: 1.5 }],
    ['no count', { excludeActive: true }],
  ])('%s is 400 "count must be greater than 0"', async (_name, requestBody) => {
    const { status, body } = await randomError('random-count', requestBody);
    expect(status).toBe(400);
    expect(body).toEqual({
      error: 'INVALID_REQUEST',
      code: 3,
      message: 'count must be greater than 0',
      details: [],
    });
  });

  test.each([
    ['count as a string', { count: '3' }, 'count'],
    ['excludeActive as a string', { count: 1, excludeActive: 'true' }, 'excludeActive'],
    ['exclude_active as a number', { count: 1, exclude_active: 1 }, 'exclude_active'],
    ['replace_existing as a string', { count: 1, replace_existing: 'no' }, 'replace_existing'],
  ])('%s is 400 INVALID_REQUEST naming the field', async (_name, requestBody, field) => {
    const user = 'random-types';
    const { status, body } = await randomError(user, requestBody);
    expect(status).toBe(400);
    expect(body.error).toBe('INVALID_REQUEST');
    expect(body.message).toContain(field);
    expect(await activeIds(user)).toEqual([]);
  });

  test('an unknown challenge is 404 CHALLENGE_NOT_FOUND', async () => {
    const { status, body } = await randomError('random-no-challenge', { count: 1 }, 'no-such-challenge');
    expect(status).toBe(404);
    expect(body.error).toBe('CHALLENGE_NOT_FOUND');
  });

  test('snake_case body: replace_existing and exclude_active', async () => {
    const user = 'random-snake';
    await batch(user, { goalIds: ['p1'] });
    const { status, body } = await random(user, { count: 1, replace_existing: true, exclude_active: true });
    expect(status).toBe(200);
    expect(body.replacedGoals).toEqual(['p1']);
    expect(body.selectedGoals[0]?.goalId).not.toBe('p1');
    expect(body.totalActiveGoals).toBe(1);
  });

  test('every pool member can be drawn', async () => {
    const seen = new Set<string>();
    for (let round = 0; round < 40 && seen.size < POOL_GOALS.length; round++) {
      const { body } = await random(`random-spread-${round}`, { count: 1 });
      for (const selected of body.selectedGoals) seen.add(selected.goalId);
    }
    expect([...seen].sort()).toEqual(POOL_GOALS);
  });
});

describe('concurrency', () => {
  test('simultaneous replacing batch-selects of one player end in one of the two selections', async () => {
    const selections = [
      ['p1', 'p2', 'p3'],
      ['p3', 'p4', 'p5'],
    ];
    for (let round = 0; round < 12; round++) {
      const user = `concurrent-batch-${round}`;
      const before = round % 2 === 1 ? ['p6', 'p1'] : [];
      if (before.length > 0) await batch(user, { goalIds: before });
      const answers = await Promise.all(
        selections.map((goalIds) => batch(user, { goalIds, replaceExisting: true })),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.body.totalActiveGoals).toBe(3);
      }
      const active = await activeIds(user);
      expect(selections.map((ids) => [...ids].sort())).toContainEqual(active);
      // Every goal that was active at some point and is not now was reported replaced by one of them.
      const replaced = new Set(answers.flatMap((answer) => answer.body.replacedGoals));
      for (const goalId of new Set([...before, ...selections.flat()]))
        if (!active.includes(goalId)) expect(replaced.has(goalId)).toBe(true);
    }
  }, 30_000);

  test('simultaneous adding selections of one player lose no activation', async () => {
    for (let round = 0; round < 6; round++) {
      const user = `concurrent-add-${round}`;
      const answers = await Promise.all([
        batch(user, { goalIds: ['p1', 'p2'] }),
        batch(user, { goalIds: ['p2', 'p3'] }),
        batch(user, { goalIds: ['p4'] }),
        random(user, { count: 1, excludeActive: true }),
      ]);
      for (const answer of answers) expect(answer.status).toBe(200);
      const drawn = answers[3]?.body.selectedGoals.map((g) => g.goalId) ?? [];
      expect(drawn).toHaveLength(1);
      const active = await activeIds(user);
      expect(active).toEqual([...new Set(['p1', 'p2', 'p3', 'p4', ...drawn])].sort());
      // Each answer counted the goals active when it committed; the last one saw them all.
      expect(Math.max(...answers.map((answer) => answer.body.totalActiveGoals))).toBe(active.length);
    }
  }, 30_000);
});

describe('OpenAPI', () => {
  test('documents both routes with their request and response schemas', async () => {
    const { body } = await app.json<{
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
    }>('GET', '/swagger/json');
    for (const path of [
      '/v1/challenges/{challengeId}/goals/batch-select',
      '/v1/challenges/{challengeId}/goals/random-select',
    ]) {
      const post = body.paths[path]?.['post'];
      expect(post).toBeDefined();
      expect(JSON.stringify(post?.requestBody)).toContain(
        path.endsWith('batch-select') ? 'goal_ids' : 'exclude_active',
      );
      expect(JSON.stringify(post?.responses['200'])).toContain('totalActiveGoals');
      expect(JSON.stringify(post?.responses['200'])).toContain('replacedGoals');
      expect(Object.keys(post?.responses ?? {})).toEqual(
        expect.arrayContaining(['200', '400', '401', '404']),
      );
    }
  });
});
