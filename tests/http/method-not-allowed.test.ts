/** A known path with the wrong method is 405 with Allow, in the error shape; unknown paths stay 404. */
import { afterAll, describe, expect, test } from 'bun:test';
import { createTestApp } from '../helpers/test-app.ts';

const app = await createTestApp();
const prefixed = await createTestApp({ basePath: '/challenge', db: app.db });
afterAll(() => app.close());

const GOAL = '/v1/challenges/starter-challenge/goals/play-5-matches';

describe('405 METHOD_NOT_ALLOWED', () => {
  test.each([
    ['DELETE', '/v1/challenges', 'GET, HEAD'],
    ['POST', '/v1/challenges', 'GET, HEAD'],
    ['PUT', '/v1/challenges/starter-challenge', 'GET, HEAD'],
    ['GET', `${GOAL}/active`, 'PUT'],
    ['POST', `${GOAL}/active`, 'PUT'],
    ['GET', `${GOAL}/claim`, 'POST'],
    ['DELETE', `${GOAL}/claim`, 'POST'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['PATCH', '/metrics', 'GET, HEAD'],
  ])('%s %s answers 405 with Allow: %s', async (method, path, allow) => {
    const response = await app.request(method, path, { user: 'method-user' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(response.headers.get('content-type')).toStartWith('application/json');
    expect(await response.json()).toEqual({
      error: 'METHOD_NOT_ALLOWED',
      code: 12,
      message: `${method} is not allowed on ${path}; it accepts ${allow}`,
      details: [],
    });
  });

  test('the method is checked before authentication: the answer does not depend on a token', async () => {
    const response = await app.request('DELETE', '/v1/challenges');
    expect(response.status).toBe(405);
  });

  test('a trailing slash is the same path', async () => {
    const response = await app.request('DELETE', '/v1/challenges/', { user: 'method-user' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  test('unknown paths stay 404 NOT_FOUND', async () => {
    for (const [method, path] of [
      ['DELETE', '/nope'],
      ['GET', '/v1/challenges/starter-challenge/goals'],
      ['POST', `${GOAL}/active/extra`],
    ] as const) {
      const response = await app.request(method, path, { user: 'method-user' });
      expect(response.status).toBe(404);
      expect(response.headers.get('allow')).toBeNull();
      expect(((await response.json()) as { error: string }).error).toBe('NOT_FOUND');
    }
  });

  test('honours BASE_PATH: under the prefix 405, without it 404', async () => {
    const under = await prefixed.request('DELETE', '/v1/challenges', { user: 'method-user' });
    expect(under.status).toBe(405);
    expect(under.headers.get('allow')).toBe('GET, HEAD');
    const bare = await prefixed.handle(new Request('http://localhost/v1/challenges', { method: 'DELETE' }));
    expect(bare.status).toBe(404);
  });
});

describe('over a real port', () => {
  test('Bun answers HEAD for GET routes, as Allow says, and the wrong method is 405', async () => {
    const server = (await createTestApp({ db: app.db })).listen();
    try {
      const base = server.baseUrl;
      const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      const wrong = await fetch(`${base}/v1/challenges`, { method: 'DELETE' });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET, HEAD');
      expect(((await wrong.json()) as { error: string }).error).toBe('METHOD_NOT_ALLOWED');
    } finally {
      await server.stop();
    }
  });
});
