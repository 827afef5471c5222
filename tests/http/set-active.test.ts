/** PUT /v1/challenges/{challengeId}/goals/{goalId}/active: activation, deactivation, validation. */
import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import { writeProgressState } from '../../src/db/progress-rows.ts';
import type { ErrorBody, GoalJson } from '../helpers/api-json.ts';
import { createTestApp } from '../helpers/test-app.ts';

interface SetActiveBody {
  challengeId: string;
  goalId: string;
  isActive: boolean;
  assignedAt: string;
  message: string;
}

const app = await createTestApp();
afterAll(() => app.close());
afterEach(() => app.setNow(undefined));

const activePath = (challengeId: string, goalId: string) =>
  `/v1/challenges/${challengeId}/goals/${goalId}/active`;
const PLAY = activePath('starter-challenge', 'play-5-matches');

const put = (user: string, body: unknown, path = PLAY) =>
  app.json<SetActiveBody>('PUT', path, { user, body });
const putError = (user: string, body: unknown, path = PLAY) =>
  app.json<ErrorBody>('PUT', path, { user, body });

async function goal(user: string, goalId: string): Promise<GoalJson> {
  const { body } = await app.json<{ challenges: { goals: GoalJson[] }[] }>('GET', '/v1/challenges', { user });
  const found = body.challenges.flatMap((c) => c.goals).find((g) => g.goalId === goalId);
  if (!found) throw new Error(`goal '${goalId}' not listed`);
  return found;
}

describe('activation', () => {
  test('{"isActive": true} creates the row as not started and says so', async () => {
    app.setNow(new Date('2026-03-10T10:20:30.400Z'));
    const response = await app.request('PUT', PLAY, { user: 'activate-user', body: { isActive: true } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toStartWith('application/json');
    const body = (await response.json()) as SetActiveBody;
    expect(Object.keys(body)).toEqual(['challengeId', 'goalId', 'isActive', 'assignedAt', 'message']);
    expect(body).toEqual({
      challengeId: 'starter-challenge',
      goalId: 'play-5-matches',
      isActive: true,
      assignedAt: '2026-03-10T10:20:30Z',
      message: 'Goal activated successfully',
    });
    expect(await goal('activate-user', 'play-5-matches')).toMatchObject({
      isActive: true,
      progress: 0,
      status: 'not_started',
      completedAt: '',
    });
  });

  test('{"is_active": false} (snake_case) deactivates, keeping progress and the assignment time', async () => {
    const user = 'deactivate-user';
    app.setNow(new Date('2026-03-10T08:00:00Z'));
    expect((await put(user, { isActive: true })).status).toBe(200);
    await writeProgressState(app.db.pool, {
      userId: user,
      goalId: 'play-5-matches',
      progress: 3,
      status: 'in_progress',
      completedAt: null,
      now: new Date(),
    });
    app.setNow(new Date('2026-03-11T09:00:00Z'));
    const { status, body } = await put(user, { is_active: false });
    expect(status).toBe(200);
    expect(body).toEqual({
      challengeId: 'starter-challenge',
      goalId: 'play-5-matches',
      isActive: false,
      assignedAt: '2026-03-10T08:00:00Z',
      message: 'Goal deactivated successfully',
    });
    expect(await goal(user, 'play-5-matches')).toMatchObject({
      isActive: false,
      progress: 3,
      status: 'in_progress',
    });

    app.setNow(new Date('2026-03-12T10:30:00Z'));
    const again = await put(user, { isActive: true });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      isActive: true,
      assignedAt: '2026-03-12T10:30:00Z',
      message: 'Goal activated successfully',
    });
    expect(await goal(user, 'play-5-matches')).toMatchObject({
      isActive: true,
      progress: 3,
      status: 'in_progress',
    });
  });

  test('re-activation keeps a completed goal completed', async () => {
    const user = 'completed-reactivate-user';
    const path = activePath('starter-challenge', 'defeat-10-enemies');
    await put(user, { isActive: true }, path);
    await writeProgressState(app.db.pool, {
      userId: user,
      goalId: 'defeat-10-enemies',
      progress: 12,
      status: 'completed',
      completedAt: new Date('2026-03-10T08:00:00Z'),
      now: new Date(),
    });
    await put(user, { isActive: false }, path);
    await put(user, { isActive: true }, path);
    expect(await goal(user, 'defeat-10-enemies')).toMatchObject({
      isActive: true,
      progress: 12,
      status: 'completed',
      completedAt: '2026-03-10T08:00:00Z',
    });
  });

  test('activating an active goal again answers the same way and moves assignedAt', async () => {
    const user = 'reactivate-active-user';
    app.setNow(new Date('2026-03-10T08:00:00Z'));
    await put(user, { isActive: true });
    app.setNow(new Date('2026-03-10T09:00:00Z'));
    const { status, body } = await put(user, { isActive: true });
    expect(status).toBe(200);
    expect(body).toEqual({
      challengeId: 'starter-challenge',
      goalId: 'play-5-matches',
      isActive: true,
      assignedAt: '2026-03-10T09:00:00Z',
      message: 'Goal activated successfully',
    });
  });

  test('deactivating a goal the player never had answers with an empty assignedAt', async () => {
    const { status, body } = await put('never-had-user', { isActive: false });
    expect(status).toBe(200);
    expect(body).toEqual({
      challengeId: 'starter-challenge',
      goalId: 'play-5-matches',
      isActive: false,
      assignedAt: '',
      message: 'Goal deactivated successfully',
    });
    expect(await goal('never-had-user', 'play-5-matches')).toMatchObject({ isActive: false, progress: 0 });
  });

  test('activation only changes the caller’s goal', async () => {
    await put('owner-user', { isActive: true });
    expect((await goal('owner-user', 'play-5-matches')).isActive).toBe(true);
    expect((await goal('bystander-user', 'play-5-matches')).isActive).toBe(false);
    expect((await goal('owner-user', 'defeat-10-enemies')).isActive).toBe(false);
  });
});

describe('unknown ids', () => {
  test('an unknown challenge is 404 CHALLENGE_NOT_FOUND', async () => {
    const { status, body } = await putError(
      'ids-user',
      { isActive: true },
      activePath('no-such', 'play-5-matches'),
    );
    expect(status).toBe(404);
    expect(body).toEqual({
      error: 'CHALLENGE_NOT_FOUND',
      code: 5,
      message: "Challenge 'no-such' not found",
      details: [],
    });
  });

  test('an unknown goal is 404 GOAL_NOT_FOUND naming both ids', async () => {
    const { status, body } = await putError(
      'ids-user',
      { isActive: true },
      activePath('starter-challenge', 'nope'),
    );
    expect(status).toBe(404);
    expect(body).toEqual({
      error: 'GOAL_NOT_FOUND',
      code: 5,
      message: "Goal 'nope' not found in challenge 'starter-challenge'",
      details: [],
    });
  });

  test('a goal of another challenge is 404 GOAL_NOT_FOUND and creates nothing', async () => {
    const { status, body } = await putError(
      'wrong-challenge-user',
      { isActive: true },
      activePath('starter-challenge', 'tutorial'),
    );
    expect(status).toBe(404);
    expect(body).toEqual({
      error: 'GOAL_NOT_FOUND',
      code: 5,
      message: "Goal 'tutorial' not found in challenge 'starter-challenge'",
      details: [],
    });
    expect((await goal('wrong-challenge-user', 'tutorial')).isActive).toBe(false);
  });
});

describe('invalid bodies', () => {
  const expectInvalid = async (user: string, body: unknown, messagePart: string) => {
    const response = await putError(user, body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'INVALID_REQUEST', code: 3, details: [] });
    expect(response.body.message).toContain(messagePart);
    expect((await goal(user, 'play-5-matches')).isActive).toBe(false);
  };

  test('a missing isActive is 400 INVALID_REQUEST', async () => {
    await expectInvalid('missing-user', {}, 'isActive');
    await expectInvalid('missing-user', { active: true }, 'isActive');
    const noBody = await app.json<ErrorBody>('PUT', PLAY, { user: 'missing-user' });
    expect(noBody.status).toBe(400);
    expect(noBody.body.error).toBe('INVALID_REQUEST');
  });

  test.each([
    ['a string', { isActive: 'yes' }],
    ['the string "true"', { isActive: 'true' }],
    ['a number', { isActive: 1 }],
    ['null', { isActive: null }],
    ['a snake_case string', { is_active: 'false' }],
  ])('isActive as %s is 400 INVALID_REQUEST', async (_label, body) => {
    await expectInvalid('non-boolean-user', body, 'boolean');
  });

  test('a body that is not a JSON object is 400', async () => {
    for (const body of ['[true]', 'true', '"isActive"']) {
      const response = await putError('non-object-user', body);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('INVALID_REQUEST');
    }
  });

  test('a body that is not JSON is 400 with a message about JSON', async () => {
    const response = await putError('bad-json-user', '{"isActive": tru');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'INVALID_REQUEST',
      code: 3,
      message: 'Request body is not valid JSON',
      details: [],
    });
  });
});
