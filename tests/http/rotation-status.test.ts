/** GET /v1/challenges/{challengeId}/rotation: the original's shape, periods in UTC, errors, OpenAPI. */
import { afterAll, expect, test } from 'bun:test';
import { createTestApp } from '../helpers/test-app.ts';

const CONFIG = 'tests/fixtures/original-current-challenges.json';
const app = await createTestApp({ configPath: CONFIG });
afterAll(() => app.close());

const rotation = (challengeId: string) =>
  app.json<Record<string, unknown>>('GET', `/v1/challenges/${challengeId}/rotation`, {
    user: 'rotation-status',
  });

test.each([
  [
    'daily',
    'rotation-daily',
    { startTime: '2030-05-15T00:00:00Z', endTime: '2030-05-16T00:00:00Z', expiresInSeconds: 33_869 },
    { startTime: '2030-05-16T00:00:00Z', endTime: '2030-05-17T00:00:00Z', expiresInSeconds: 0 },
  ],
  [
    'weekly (Monday to Monday)',
    'weekly-challenges',
    { startTime: '2030-05-13T00:00:00Z', endTime: '2030-05-20T00:00:00Z', expiresInSeconds: 379_469 },
    { startTime: '2030-05-20T00:00:00Z', endTime: '2030-05-27T00:00:00Z', expiresInSeconds: 0 },
  ],
  [
    'monthly',
    'monthly-challenges',
    { startTime: '2030-05-01T00:00:00Z', endTime: '2030-06-01T00:00:00Z', expiresInSeconds: 1_416_269 },
    { startTime: '2030-06-01T00:00:00Z', endTime: '2030-07-01T00:00:00Z', expiresInSeconds: 0 },
  ],
])('%s: current and next period', async (schedule, challengeId, currentPeriod, nextPeriod) => {
  app.setNow(new Date('2030-05-15T14:35:30.500Z')); // a Wednesday
  const { status, body } = await rotation(challengeId);
  expect(status).toBe(200);
  expect(body).toEqual({
    challengeId,
    rotation: {
      enabled: true,
      type: 'global',
      schedule: schedule.split(' ')[0],
      currentPeriod,
      nextPeriod,
    },
  });
});

test('a challenge without a rotating goal: disabled, empty strings, null periods', async () => {
  expect(await rotation('winter-challenge-2025')).toEqual({
    status: 200,
    body: {
      challengeId: 'winter-challenge-2025',
      rotation: { enabled: false, type: '', schedule: '', currentPeriod: null, nextPeriod: null },
    },
  });
});

test('unknown challenge → 404 CHALLENGE_NOT_FOUND; no user → 401', async () => {
  expect(await rotation('no-such-challenge')).toMatchObject({
    status: 404,
    body: { error: 'CHALLENGE_NOT_FOUND' },
  });
  await using verified = await createTestApp({ configPath: CONFIG, auth: 'dev' });
  expect(await verified.json('GET', '/v1/challenges/rotation-daily/rotation')).toMatchObject({
    status: 401,
    body: { error: 'UNAUTHENTICATED' },
  });
});

test('OpenAPI documents the route and its response', async () => {
  const { body } = await app.json<{
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  }>('GET', '/swagger/json');
  const get = body.paths['/v1/challenges/{challengeId}/rotation']?.['get'];
  expect(get).toBeDefined();
  expect(JSON.stringify(get?.responses['200'])).toContain('currentPeriod');
  expect(Object.keys(get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401', '404']));
});
