/**
 * Who may call the admin player routes: an admin token (dev mode, and an AGS permissions claim in
 * jwks mode) passes; a player token is 403 PERMISSION_DENIED; no token is 401; a permission for
 * another namespace or without the route's action is 403. Mock mode needs x-mock-admin-id.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createAuthenticator, mintDevToken } from '../../src/auth/index.ts';
import {
  bearer,
  createSigningKey,
  type JwksServer,
  type SigningKey,
  signToken,
  startJwksServer,
} from '../auth/jwks-server.ts';
import type { ErrorBody } from '../helpers/api-json.ts';
import { createTestApp, DEV_SECRET, TEST_NAMESPACE, type TestApp } from '../helpers/test-app.ts';

const app = await createTestApp({ auth: 'dev' });
afterAll(() => app.close());

/** Every admin player route with a request that succeeds for an admin. */
const ROUTES: ReadonlyArray<{ method: string; path: string; body?: unknown; action: string }> = [
  { method: 'GET', path: '/v1/admin/users/auth-u/challenges', action: 'READ' },
  { method: 'GET', path: '/v1/admin/users/auth-u/events?limit=5', action: 'READ' },
  {
    method: 'PUT',
    path: '/v1/admin/users/auth-u/goals/defeat-10-enemies/progress',
    body: { progress: 3 },
    action: 'UPDATE',
  },
  { method: 'POST', path: '/v1/admin/users/auth-u/goals/defeat-10-enemies/complete', action: 'UPDATE' },
  { method: 'POST', path: '/v1/admin/users/auth-u/goals/defeat-10-enemies/claim', action: 'UPDATE' },
  { method: 'POST', path: '/v1/admin/users/auth-u/goals/defeat-10-enemies/reset', action: 'UPDATE' },
  { method: 'DELETE', path: '/v1/admin/users/auth-u', action: 'DELETE' },
];

const withToken = (target: TestApp, token: string | undefined, route: (typeof ROUTES)[number]) =>
  target.request(route.method, route.path, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    ...(route.body === undefined ? {} : { body: route.body }),
  });

const tokenWith = (permissions: { resource: string; action: number }[], userId = 'ops-ann') =>
  mintDevToken({ secret: DEV_SECRET, userId, namespace: TEST_NAMESPACE, permissions });

describe('dev mode', () => {
  test('an admin token passes every route, in order: look, set, complete, claim, reset, erase', async () => {
    const statuses: Record<string, number> = {};
    for (const route of ROUTES) {
      const response = await app.request(route.method, route.path, {
        admin: 'ops-ann',
        ...(route.body === undefined ? {} : { body: route.body }),
      });
      statuses[`${route.method} ${route.path}`] = response.status;
    }
    expect(Object.values(statuses)).toEqual(ROUTES.map(() => 200));
  });

  test('a player token is 403 PERMISSION_DENIED (gRPC 7) naming the permission; no token is 401', async () => {
    const player = await mintDevToken({ secret: DEV_SECRET, userId: 'auth-u', namespace: TEST_NAMESPACE });
    for (const route of ROUTES) {
      const denied = await withToken(app, player, route);
      expect({ route: route.path, status: denied.status }).toEqual({ route: route.path, status: 403 });
      const body = (await denied.json()) as ErrorBody;
      expect(body).toMatchObject({ error: 'PERMISSION_DENIED', code: 7 });
      expect(body.message).toBe(
        `This call needs the permission ADMIN:NAMESPACE:${TEST_NAMESPACE}:CHALLENGE with action ${route.action} (${{ READ: 2, UPDATE: 4, DELETE: 8 }[route.action]})`,
      );
      const anonymous = await withToken(app, undefined, route);
      expect({ route: route.path, status: anonymous.status }).toEqual({ route: route.path, status: 401 });
    }
    // Nothing ran: the player has no rows.
    const [row] = await app.db
      .pool`select count(*)::int as n from user_goal_progress where user_id = 'auth-u'`;
    expect(row?.['n']).toBe(0);
  });

  test("another namespace's permission is 403; so is one without the route's action bit", async () => {
    const foreign = await tokenWith([{ resource: 'ADMIN:NAMESPACE:other:CHALLENGE', action: 15 }]);
    const readOnly = await tokenWith([
      { resource: `ADMIN:NAMESPACE:${TEST_NAMESPACE}:CHALLENGE`, action: 2 },
    ]);
    for (const route of ROUTES) {
      expect((await withToken(app, foreign, route)).status).toBe(403);
      expect((await withToken(app, readOnly, route)).status).toBe(route.action === 'READ' ? 200 : 403);
    }
  });

  test('the namespace wildcard of AGS passes', async () => {
    const wildcard = await tokenWith([{ resource: 'ADMIN:NAMESPACE:*:CHALLENGE', action: 2 }]);
    expect((await withToken(app, wildcard, ROUTES[0] as (typeof ROUTES)[number])).status).toBe(200);
  });
});

describe('jwks mode', () => {
  let key: SigningKey;
  let server: JwksServer;
  let jwks: TestApp;
  beforeAll(async () => {
    key = await createSigningKey('RS256', 'admin-key');
    server = startJwksServer([key]);
    jwks = await createTestApp({
      auth: createAuthenticator({ mode: 'jwks', jwksUrl: server.url, namespace: TEST_NAMESPACE }),
    });
  });
  afterAll(async () => {
    await jwks.close();
    await server.stop();
  });

  test("the token's AGS permissions claim decides: Resource and Action as IAM writes them", async () => {
    const route = ROUTES[2] as (typeof ROUTES)[number];
    const sign = (claims: Record<string, unknown>) =>
      signToken(key, { sub: 'iam-admin', namespace: TEST_NAMESPACE, ...claims });
    const admin = await sign({
      permissions: [{ Resource: `ADMIN:NAMESPACE:${TEST_NAMESPACE}:CHALLENGE`, Action: 4 }],
    });
    expect((await withToken(jwks, admin, route)).status).toBe(200);
    const noUpdate = await sign({
      permissions: [{ Resource: 'ADMIN:NAMESPACE:*:CHALLENGE', Action: 2 | 8 }],
    });
    expect((await withToken(jwks, noUpdate, route)).status).toBe(403);
    expect((await withToken(jwks, await sign({}), route)).status).toBe(403);
    expect((await withToken(jwks, undefined, route)).status).toBe(401);
    const impostor = await createSigningKey('RS256', 'admin-key');
    const forged = await signToken(impostor, {
      sub: 'mallory',
      permissions: [{ Resource: 'ADMIN:*', Action: 15 }],
    });
    const forgedRequest = new Request('http://localhost/v1/admin/users/x/challenges', {
      headers: bearer(forged),
    });
    expect((await jwks.handle(forgedRequest)).status).toBe(401);
  });
});

describe('mock mode', () => {
  test('x-mock-admin-id names the admin; the player header alone is 403', async () => {
    await using mock = await createTestApp();
    const route = '/v1/admin/users/mock-u/challenges';
    expect((await mock.request('GET', route, { admin: 'mock-admin' })).status).toBe(200);
    const player = await mock.request('GET', route, { user: 'mock-u' });
    expect(player.status).toBe(403);
    expect(((await player.json()) as ErrorBody).error).toBe('PERMISSION_DENIED');
  });

  test('admin routes are served under BASE_PATH', async () => {
    await using prefixed = await createTestApp({ basePath: '/challenge' });
    const response = await prefixed.request('GET', '/v1/admin/users/mock-u/challenges', { admin: 'a' });
    expect(response.status).toBe(200);
    const unprefixed = await prefixed.handle(
      new Request('http://localhost/v1/admin/users/mock-u/challenges', {
        headers: { 'x-mock-admin-id': 'a' },
      }),
    );
    expect(unprefixed.status).toBe(404);
  });
});
