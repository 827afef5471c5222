/**
 * The live configuration routes over HTTP (app.handle, dev tokens): who may use them, what
 * validate reports, what apply changes for players, and what happens to rows of a removed goal.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { adminPermissions, mintDevToken } from '../../src/auth/index.ts';
import { createTestApp, DEV_SECRET, TEST_NAMESPACE } from '../helpers/test-app.ts';

const app = await createTestApp({ auth: 'dev' });
afterAll(() => app.close());
const base = JSON.parse(readFileSync('config/challenges.test.json', 'utf8'));
const adminToken = await mintDevToken({
  secret: DEV_SECRET,
  userId: 'ops-ann',
  namespace: TEST_NAMESPACE,
  permissions: adminPermissions(TEST_NAMESPACE),
});
const readOnlyToken = await mintDevToken({
  secret: DEV_SECRET,
  userId: 'ops-reader',
  namespace: TEST_NAMESPACE,
  permissions: [{ resource: `ADMIN:NAMESPACE:${TEST_NAMESPACE}:CHALLENGE`, action: 2 }],
});
const playerToken = await mintDevToken({ secret: DEV_SECRET, userId: 'player-1', namespace: TEST_NAMESPACE });

const call = async (method: string, path: string, token: string | undefined, body?: unknown) => {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  const response = await app.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const withTarget = (target: number) => {
  const document = structuredClone(base);
  document.challenges[0].goals[0].requirement.targetValue = target;
  return document;
};
const starterGoal = async (user: string, goalId: string) => {
  const { body } = await app.json<{ challenges: Array<{ goals: Array<Record<string, unknown>> }> }>(
    'GET',
    '/v1/challenges',
    { user },
  );
  return body.challenges.flatMap((challenge) => challenge.goals).find((goal) => goal['goalId'] === goalId);
};

describe('admin configuration routes', () => {
  test('need the admin permission: 401 without a token, 403 for a player or a read-only admin writing', async () => {
    expect((await call('GET', '/v1/admin/config', undefined)).status).toBe(401);
    const player = await call('GET', '/v1/admin/config', playerToken);
    expect(player.status).toBe(403);
    expect(player.body['error']).toBe('PERMISSION_DENIED');
    expect((await call('POST', '/v1/admin/config/validate', playerToken, base)).status).toBe(403);
    expect((await call('PUT', '/v1/admin/config', playerToken, base)).status).toBe(403);
    expect((await call('GET', '/v1/admin/config', readOnlyToken)).status).toBe(200);
    expect((await call('PUT', '/v1/admin/config', readOnlyToken, withTarget(11))).status).toBe(403);
  });

  test('a configuration body is read only for a caller allowed to send one: 401 or 403 before parsing', async () => {
    // Not even JSON, and large: judged by the caller alone, never read.
    const junk = `{${'x'.repeat(2 * 1024 * 1024)}`;
    for (const [method, path] of [
      ['PUT', '/v1/admin/config'],
      ['POST', '/v1/admin/config/validate'],
    ] as const) {
      expect((await call(method, path, undefined, junk)).status).toBe(401);
      expect((await call(method, path, playerToken, junk)).status).toBe(403);
    }
    expect((await call('PUT', '/v1/admin/config', readOnlyToken, junk)).status).toBe(403);
    // An admin's malformed body is then the body's problem.
    expect((await call('PUT', '/v1/admin/config', adminToken, junk)).status).toBe(400);
  });

  test('validate reports the path of the first problem, or the diff; it changes nothing', async () => {
    const bad = structuredClone(base);
    bad.challenges[0].goals[0].requirement.targetValue = -3;
    const refused = await call('POST', '/v1/admin/config/validate', adminToken, bad);
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({
      valid: false,
      errors: [{ path: 'challenges[0].goals[0].requirement.targetValue' }],
    });
    const fine = await call('POST', '/v1/admin/config/validate', adminToken, withTarget(15));
    expect(fine.body).toMatchObject({ valid: true, unchanged: false });
    expect((fine.body['diff'] as { goalsChanged: unknown[] }).goalsChanged).toEqual([
      {
        goalId: 'defeat-10-enemies',
        challengeId: 'starter-challenge',
        fields: ['targetValue'],
        retargeted: true,
      },
    ]);
    expect((await starterGoal('player-1', 'defeat-10-enemies'))?.['requirement']).toMatchObject({
      targetValue: 10,
    });
  });

  test('apply puts the rules in force at once and records who applied them', async () => {
    const applied = await call('PUT', '/v1/admin/config', adminToken, withTarget(12));
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ source: 'api', appliedBy: 'ops-ann' });
    expect((await starterGoal('player-2', 'defeat-10-enemies'))?.['requirement']).toMatchObject({
      targetValue: 12,
    });
    const now = await call('GET', '/v1/admin/config', adminToken);
    expect(now.body).toMatchObject({ version: applied.body['version'], source: 'api', appliedBy: 'ops-ann' });
    expect((now.body['config'] as typeof base).challenges[0].goals[0].requirement.targetValue).toBe(12);
    expect((now.body['history'] as unknown[]).length).toBeGreaterThanOrEqual(1);
  });

  test('an invalid configuration is refused with its path, and the one in force stays', async () => {
    const before = (await call('GET', '/v1/admin/config', adminToken)).body['version'];
    const bad = structuredClone(base);
    bad.challenges[0].goals[0].requirement.statCode = 12;
    const refused = await call('PUT', '/v1/admin/config', adminToken, bad);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      error: 'INVALID_REQUEST',
      details: [{ path: 'challenges[0].goals[0].requirement.statCode' }],
    });
    expect((await call('PUT', '/v1/admin/config', adminToken, '{"challenges": [')).status).toBe(400);
    expect((await call('GET', '/v1/admin/config', adminToken)).body['version']).toBe(before);
  });

  test('a removed goal is hidden and unclaimable, its rows kept; adding it back restores them', async () => {
    const user = 'removal-player';
    expect((await app.request('POST', '/v1/challenges/initialize', { user })).status).toBe(200);
    await app.db.pool`
      update user_goal_progress set progress = 1, status = 'completed', completed_at = now()
      where user_id = ${user} and goal_id = 'tutorial'`;
    const without = structuredClone(base);
    const progression = without.challenges.find(
      (c: { challengeId: string }) => c.challengeId === 'progression',
    );
    progression.goals = progression.goals.filter((goal: { goalId: string }) => goal.goalId !== 'tutorial');
    for (const goal of progression.goals) goal.prerequisites = [];
    expect((await call('PUT', '/v1/admin/config', adminToken, without)).status).toBe(200);
    expect(await starterGoal(user, 'tutorial')).toBeUndefined();
    const claim = await app.request('POST', '/v1/challenges/progression/goals/tutorial/claim', { user });
    expect(claim.status).toBe(404);
    expect((await call('PUT', '/v1/admin/config', adminToken, base)).status).toBe(200);
    expect(await starterGoal(user, 'tutorial')).toMatchObject({ status: 'completed', progress: 1 });
    expect(
      (await app.request('POST', '/v1/challenges/progression/goals/tutorial/claim', { user })).status,
    ).toBe(200);
  });

  test('a configuration larger than other bodies is accepted; one over 8 MiB is 413', async () => {
    const large = structuredClone(base);
    large.challenges[0].description = 'x'.repeat(300_000);
    expect((await call('POST', '/v1/admin/config/validate', adminToken, large)).body).toMatchObject({
      valid: true,
    });
    const huge = structuredClone(base);
    huge.challenges[0].description = 'x'.repeat(9 * 1024 * 1024);
    expect((await call('POST', '/v1/admin/config/validate', adminToken, huge)).status).toBe(413);
    // Other routes keep their 64 KiB limit.
    const other = await app.request(
      'PUT',
      '/v1/challenges/starter-challenge/goals/defeat-10-enemies/active',
      {
        user: 'player-1',
        body: { isActive: true, padding: 'x'.repeat(100_000) },
      },
    );
    expect(other.status).toBe(413);
  });
});
