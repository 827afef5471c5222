/**
 * The stream authenticates like every player route, plus `?access_token=` for browsers'
 * EventSource; any failure is a JSON 401 before the stream starts.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { openSse } from '../helpers/sse.ts';
import { createTestApp, devToken } from '../helpers/test-app.ts';

const app = await createTestApp({ auth: 'dev' });
const server = app.listen();
afterAll(async () => {
  await server.stop();
  await app.close();
});
const url = (query = '') => `${server.baseUrl}/v1/challenges/stream${query}`;

describe('stream authentication', () => {
  test('no token, a bad token, or a bad query token is 401 with the error body', async () => {
    const token = await devToken('alice');
    const attempts: Array<[string, Record<string, string>]> = [
      ['', {}],
      ['', { authorization: 'Bearer not-a-jwt' }],
      ['?access_token=not-a-jwt', {}],
      [`?access_token=${token.slice(0, -4)}abcd`, {}],
      // Characters no header may carry: no token either, not a server error.
      ['?access_token=%0A', {}],
      ['?access_token=a%0Db', {}],
      ['?access_token=%00', {}],
      ['?access_token=%E2%82%AC', {}],
      [`?access_token=${token}%20`, {}],
    ];
    for (const [query, headers] of attempts) {
      const response = await fetch(url(query), { headers });
      expect({ query, status: response.status }).toEqual({ query, status: 401 });
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(((await response.json()) as { error: string }).error).toBe('UNAUTHENTICATED');
    }
  });

  test('a token in the query opens the stream of its player', async () => {
    await app.request('POST', '/v1/challenges/initialize', { user: 'alice' });
    const stream = await openSse(url(`?access_token=${await devToken('alice')}`));
    try {
      const [snapshot] = await stream.waitFor((e) => e.event === 'snapshot');
      expect(snapshot?.data).toBe(
        await (await app.request('GET', '/v1/challenges', { user: 'alice' })).text(),
      );
    } finally {
      stream.close();
    }
  });

  test('the Authorization header wins over the query token', async () => {
    await app.request('POST', '/v1/challenges/initialize', { user: 'bob' });
    // Alice's list differs from Bob's, so the snapshot tells whose stream it is.
    await app.request('PUT', '/v1/challenges/starter-challenge/goals/play-5-matches/active', {
      user: 'alice',
      body: { isActive: true },
    });
    const lists = await Promise.all(
      ['alice', 'bob'].map(async (user) => (await app.request('GET', '/v1/challenges', { user })).text()),
    );
    expect(lists[0]).not.toBe(lists[1]);
    const stream = await openSse(url(`?access_token=${await devToken('alice')}`), {
      authorization: `Bearer ${await devToken('bob')}`,
    });
    try {
      const [snapshot] = await stream.waitFor((e) => e.event === 'snapshot');
      expect(snapshot?.data).toBe(lists[1]);
    } finally {
      stream.close();
    }
  });
});
