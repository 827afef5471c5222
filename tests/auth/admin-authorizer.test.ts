/**
 * The admin authoriser in each auth mode: a token with the admin permission passes, a valid token
 * without it is 403 PERMISSION_DENIED, no or a bad token is 401; mock mode needs x-mock-admin-id.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import {
  type AuthMode,
  adminPermissions,
  createAdminAuthorizer,
  createAuthenticator,
  generateDevSecret,
  mintDevToken,
} from '../../src/auth/index.ts';
import { appErrorOf } from './expect-rejected.ts';
import {
  bearer,
  createSigningKey,
  type JwksServer,
  type SigningKey,
  signToken,
  startJwksServer,
} from './jwks-server.ts';

const NAMESPACE = 'mygame';
const SECRET = generateDevSecret();

let key: SigningKey;
let server: JwksServer;
beforeAll(async () => {
  key = await createSigningKey('RS256', 'admin-rsa');
  server = startJwksServer([key]);
});
afterAll(() => server.stop());

function authorizer(mode: AuthMode) {
  const denials: { userId: string; reason: string }[] = [];
  const authenticate =
    mode === 'jwks'
      ? createAuthenticator({ mode, jwksUrl: server.url, namespace: NAMESPACE })
      : mode === 'dev'
        ? createAuthenticator({ mode, secret: SECRET, namespace: NAMESPACE })
        : createAuthenticator({ mode });
  const authorize = createAdminAuthorizer({
    mode,
    authenticate,
    namespace: NAMESPACE,
    onDenied: (denial) => denials.push(denial),
  });
  return { authorize, denials };
}

const rsaToken = (claims: Record<string, unknown>) => signToken(key, { sub: 'ops-ann', ...claims });

describe('jwks mode', () => {
  test('an AGS permission claim for the admin resource with the action passes, naming the admin', async () => {
    const { authorize } = authorizer('jwks');
    const token = await rsaToken({
      namespace: NAMESPACE,
      permissions: [{ Resource: `ADMIN:NAMESPACE:${NAMESPACE}:CHALLENGE`, Action: 2 | 4 }],
    });
    expect(await authorize(bearer(token), 'READ')).toEqual({ adminUserId: 'ops-ann' });
    expect(await authorize(bearer(token), 'UPDATE')).toEqual({ adminUserId: 'ops-ann' });
    const error = await appErrorOf(authorize(bearer(token), 'DELETE'));
    expect(error.code).toBe('PERMISSION_DENIED');
    expect(error.message).toBe(
      `This call needs the permission ADMIN:NAMESPACE:${NAMESPACE}:CHALLENGE with action DELETE (8)`,
    );
  });

  test('a namespace wildcard passes; another namespace does not', async () => {
    const { authorize, denials } = authorizer('jwks');
    const wildcard = await rsaToken({
      permissions: [{ Resource: 'ADMIN:NAMESPACE:*:CHALLENGE', Action: 15 }],
    });
    expect(await authorize(bearer(wildcard), 'DELETE')).toEqual({ adminUserId: 'ops-ann' });
    const other = await rsaToken({
      permissions: [{ Resource: 'ADMIN:NAMESPACE:other:CHALLENGE', Action: 15 }],
    });
    expect((await appErrorOf(authorize(bearer(other), 'READ'))).code).toBe('PERMISSION_DENIED');
    expect(denials).toEqual([
      {
        userId: 'ops-ann',
        reason: `no permission covers ADMIN:NAMESPACE:${NAMESPACE}:CHALLENGE with action READ`,
      },
    ]);
  });

  test('a player token is 403; no token or a bad one is 401', async () => {
    const { authorize, denials } = authorizer('jwks');
    const player = await rsaToken({ namespace: NAMESPACE });
    expect((await appErrorOf(authorize(bearer(player), 'READ'))).code).toBe('PERMISSION_DENIED');
    expect(denials).toEqual([{ userId: 'ops-ann', reason: 'token has no permissions claim' }]);
    expect((await appErrorOf(authorize(new Headers(), 'READ'))).code).toBe('UNAUTHENTICATED');
    const expired = await signToken(
      key,
      { sub: 'ops-ann', permissions: [{ Resource: 'ADMIN:*', Action: 15 }] },
      { expiresIn: -120 },
    );
    expect((await appErrorOf(authorize(bearer(expired), 'READ'))).code).toBe('UNAUTHENTICATED');
  });
});

describe('dev mode', () => {
  test('a token minted with the admin permissions passes every action; a player token is 403', async () => {
    const { authorize } = authorizer('dev');
    const admin = await mintDevToken({
      secret: SECRET,
      userId: 'dev-admin',
      namespace: NAMESPACE,
      permissions: adminPermissions(NAMESPACE),
    });
    for (const action of ['CREATE', 'READ', 'UPDATE', 'DELETE'] as const)
      expect(await authorize(bearer(admin), action)).toEqual({ adminUserId: 'dev-admin' });
    const player = await mintDevToken({ secret: SECRET, userId: 'dev-player', namespace: NAMESPACE });
    expect((await appErrorOf(authorize(bearer(player), 'READ'))).code).toBe('PERMISSION_DENIED');
  });

  test('an admin token of another namespace is 403 even without a namespace claim', async () => {
    const { authorize } = authorizer('dev');
    const foreign = await mintDevToken({
      secret: SECRET,
      userId: 'x',
      permissions: adminPermissions('other'),
    });
    expect((await appErrorOf(authorize(bearer(foreign), 'READ'))).code).toBe('PERMISSION_DENIED');
  });

  test('the player authenticator still answers a player token with just the user', async () => {
    const authenticate = createAuthenticator({ mode: 'dev', secret: SECRET, namespace: NAMESPACE });
    const player = await mintDevToken({ secret: SECRET, userId: 'dev-player', namespace: NAMESPACE });
    expect(await authenticate(bearer(player))).toEqual({ userId: 'dev-player' });
  });
});

describe('mock mode', () => {
  test('x-mock-admin-id names the admin; without it the call is 403, whatever the player header says', async () => {
    const { authorize } = authorizer('mock');
    expect(await authorize(new Headers({ 'x-mock-admin-id': ' ops-ann ' }), 'DELETE')).toEqual({
      adminUserId: 'ops-ann',
    });
    const player = new Headers({ 'x-mock-user-id': 'ops-ann' });
    expect((await appErrorOf(authorize(player, 'READ'))).code).toBe('PERMISSION_DENIED');
    const bad = new Headers({ 'x-mock-admin-id': 'x'.repeat(101) });
    expect((await appErrorOf(authorize(bad, 'READ'))).code).toBe('UNAUTHENTICATED');
  });

  test('a token never makes an admin in mock mode', async () => {
    const { authorize } = authorizer('mock');
    const admin = await mintDevToken({
      secret: SECRET,
      userId: 'a',
      permissions: adminPermissions(NAMESPACE),
    });
    expect((await appErrorOf(authorize(bearer(admin), 'READ'))).code).toBe('PERMISSION_DENIED');
  });
});
