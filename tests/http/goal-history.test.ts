/** GET /v1/challenges/{challengeId}/goals/{goalId}/history: the caller's own trail of one goal. */
import { afterAll, expect, test } from 'bun:test';
import type { Static } from '@sinclair/typebox';
import type { GoalHistoryResponse } from '../../src/http/schemas.ts';
import { applyEventBatch } from '../../src/pipeline/apply-events.ts';
import type { ErrorBody } from '../helpers/api-json.ts';
import { statEvent } from '../helpers/pipeline-events.ts';
import { createTestApp } from '../helpers/test-app.ts';

const app = await createTestApp({ auth: 'dev' });
afterAll(() => app.close());

const stat = (userId: string, statCode: string, value: number) =>
  statEvent(userId, statCode, value, { inc: 1 });
const history = (user: string, query = '') =>
  app.json<Static<typeof GoalHistoryResponse> & ErrorBody>(
    'GET',
    `/v1/challenges/starter-challenge/goals/defeat-10-enemies/history${query}`,
    { user },
  );

test("only that goal, only the caller's, newest first, with admin changes but not the admin's name", async () => {
  await app.request('POST', '/v1/challenges/initialize', { user: 'hist-ann' });
  await app.request('POST', '/v1/challenges/initialize', { user: 'hist-bob' });
  await applyEventBatch(
    app.db.pool,
    app.catalog,
    [stat('hist-ann', 'enemy_kills', 3), stat('hist-bob', 'enemy_kills', 9)],
    new Date(),
  );
  await app.request('PUT', '/v1/admin/users/hist-ann/goals/defeat-10-enemies/progress', {
    admin: 'support-sam',
    body: { progress: 6 },
  });
  // Entries about other goals, and the admin's reads, are not this goal's history.
  await applyEventBatch(app.db.pool, app.catalog, [stat('hist-ann', 'tutorial_completed', 1)], new Date());
  await app.request('GET', '/v1/admin/users/hist-ann/events', { admin: 'support-sam' });

  const { status, body } = await history('hist-ann');
  expect(status).toBe(200);
  expect(body.challengeId).toBe('starter-challenge');
  expect(body.goalId).toBe('defeat-10-enemies');
  expect(body.entries).toEqual([
    {
      kind: 'admin',
      recordedAt: expect.any(String),
      action: 'set_progress',
      goals: [
        {
          goalId: 'defeat-10-enemies',
          result: 'changed',
          from: { progress: 3, status: 'in_progress' },
          to: { progress: 6, status: 'in_progress' },
        },
      ],
    },
    expect.objectContaining({
      kind: 'statistic',
      statCode: 'enemy_kills',
      value: 3,
      goals: [expect.objectContaining({ goalId: 'defeat-10-enemies', result: 'changed' })],
    }),
  ]);
  expect(JSON.stringify(body)).not.toContain('support-sam');
  expect((await history('hist-ann', '?limit=1')).body.entries).toHaveLength(1);
});

test('an unknown goal or one of another challenge is 404; a bad limit 400; no token 401', async () => {
  const other = await app.json<ErrorBody>(
    'GET',
    '/v1/challenges/progression/goals/defeat-10-enemies/history',
    {
      user: 'hist-ann',
    },
  );
  expect(other.status).toBe(404);
  expect(other.body.error).toBe('GOAL_NOT_FOUND');
  expect((await app.json('GET', '/v1/challenges/nope/goals/x/history', { user: 'hist-ann' })).status).toBe(
    404,
  );
  expect((await history('hist-ann', '?limit=0')).status).toBe(400);
  expect(
    (await app.request('GET', '/v1/challenges/starter-challenge/goals/defeat-10-enemies/history')).status,
  ).toBe(401);
});
