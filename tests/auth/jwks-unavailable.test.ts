/** What a client sees through the real app when the identity provider's key set cannot be fetched. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createAuthenticator } from '../../src/auth/index.ts';
import { createTestApp, TEST_NAMESPACE, type TestApp } from '../helpers/test-app.ts';
import {
  closedPortUrl,
  createSigningKey,
  type JwksServer,
  type SigningKey,
  signToken,
  startJwksServer,
} from './jwks-server.ts';

let key: SigningKey;
let idp: JwksServer;
let downApp: TestApp;
let upApp: TestApp;
let mockApp: TestApp;

beforeAll(async () => {
  key = await createSigningKey('RS256', 'rsa-1');
  idp = startJwksServer([key]);
  const jwksApp = async (jwksUrl: string) =>
    createTestApp({ auth: createAuthenticator({ mode: 'jwks', jwksUrl, namespace: TEST_NAMESPACE }) });
  downApp = await jwksApp(await closedPortUrl());
  upApp = await jwksApp(idp.url);
  mockApp = await createTestApp();
});
afterAll(async () => {
  await Promise.all([downApp.close(), upApp.close(), mockApp.close()]);
  await idp.stop();
});

const withToken = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function bodyOf(response: Response): Promise<unknown> {
  expect(response.headers.get('content-type')).toStartWith('application/json');
  return response.json();
}

describe('jwks mode over HTTP', () => {
  test('a token whose key is not cached is answered 503 UNAVAILABLE', async () => {
    const token = await signToken(key, { sub: 'player-1', namespace: TEST_NAMESPACE });
    const response = await downApp.request('GET', '/v1/challenges', withToken(token));
    expect(response.status).toBe(503);
    expect(await bodyOf(response)).toEqual({
      error: 'UNAVAILABLE',
      code: 14,
      message: 'The signing keys of the identity provider are unreachable; retry later',
      details: [],
    });
  });

  test('a request without a token is still 401', async () => {
    const response = await downApp.request('GET', '/v1/challenges');
    expect(response.status).toBe(401);
    expect(await bodyOf(response)).toMatchObject({ error: 'UNAUTHENTICATED', code: 16 });
  });

  test('a bad signature against a reachable key set is 401 with the generic message', async () => {
    const impostor = await createSigningKey('RS256', key.kid);
    const token = await signToken(impostor, { sub: 'mallory', namespace: TEST_NAMESPACE });
    const response = await upApp.request('GET', '/v1/challenges', withToken(token));
    expect(response.status).toBe(401);
    expect(await bodyOf(response)).toEqual({
      error: 'UNAUTHENTICATED',
      code: 16,
      message: 'A valid bearer token is required (Authorization: Bearer <JWT>)',
      details: [],
    });
  });

  test('a sub with U+0000 is 401, not a failed database statement', async () => {
    const token = await signToken(key, { sub: 'player\u00001', namespace: TEST_NAMESPACE });
    const response = await upApp.request('POST', '/v1/challenges/initialize', withToken(token));
    expect(response.status).toBe(401);
    expect(await bodyOf(response)).toMatchObject({ error: 'UNAUTHENTICATED' });
  });
});

describe('mock header, over HTTP', () => {
  test('an unusable x-mock-user-id is 401 naming the header rule', async () => {
    for (const user of ['x'.repeat(101), 'player\u00011']) {
      const response = await mockApp.request('POST', '/v1/challenges/initialize', { user });
      expect(response.status).toBe(401);
      expect(await bodyOf(response)).toEqual({
        error: 'UNAUTHENTICATED',
        code: 16,
        message: 'x-mock-user-id must be 1-100 printable characters',
        details: [],
      });
    }
  });
});
