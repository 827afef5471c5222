/** The error contract seen through the app: unknown routes, body limits, request ids, 500s, 401s, BASE_PATH. */
import { afterAll, describe, expect, test } from 'bun:test';
import { SignJWT } from 'jose';
import { createAdminAuthorizer, createAuthenticator, mintDevToken } from '../../src/auth/index.ts';
import { createApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import type { ErrorBody } from '../helpers/api-json.ts';
import { createTestApp, DEV_SECRET, devToken, TEST_NAMESPACE } from '../helpers/test-app.ts';
import { createTestDb } from '../helpers/test-db.ts';

const MAX_BODY_BYTES = 64 * 1024;
const PLAY_ACTIVE = '/v1/challenges/starter-challenge/goals/play-5-matches/active';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const app = await createTestApp();
const devApp = await createTestApp({ auth: 'dev', db: app.db });
const prefixed = await createTestApp({ basePath: '/challenge', db: app.db });
afterAll(() => app.close());

async function errorOf(response: Response): Promise<ErrorBody> {
  expect(response.headers.get('content-type')).toStartWith('application/json');
  const body = (await response.json()) as ErrorBody;
  expect(Object.keys(body)).toEqual(['error', 'code', 'message', 'details']);
  return body;
}

/** A JSON body `{"isActive":true,"pad":"xxx…"}` of exactly `bytes` bytes. */
const bodyOfSize = (bytes: number) => {
  const overhead = JSON.stringify({ isActive: true, pad: '' }).length;
  return JSON.stringify({ isActive: true, pad: 'x'.repeat(bytes - overhead) });
};

const streamOf = (text: string, chunkSize = 8192) => {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
};

describe('unknown routes', () => {
  test.each([
    ['GET', '/nope'],
    ['GET', '/v1/challenges/starter-challenge/goals'],
    ['GET', '/v1/challenges/starter-challenge/goals/play-5-matches/active/extra'],
    ['DELETE', '/v1/challenges/starter-challenge/goals'],
  ])('%s %s is 404 NOT_FOUND in the error shape', async (method, path) => {
    const response = await app.request(method, path, { user: 'route-user' });
    expect(response.status).toBe(404);
    const body = await errorOf(response);
    expect(body).toMatchObject({ error: 'NOT_FOUND', code: 5, details: [] });
    expect(body.message).toContain(path);
  });
});

describe('request bodies', () => {
  test('test bodies have the intended size', () => {
    expect(bodyOfSize(MAX_BODY_BYTES).length).toBe(MAX_BODY_BYTES);
  });

  test('a body over 64 KiB with a declared length is 413 PAYLOAD_TOO_LARGE', async () => {
    const body = bodyOfSize(MAX_BODY_BYTES + 1);
    const response = await app.request('PUT', PLAY_ACTIVE, {
      user: 'big-user',
      body,
      headers: { 'content-length': String(body.length) },
    });
    expect(response.status).toBe(413);
    expect(await errorOf(response)).toEqual({
      error: 'PAYLOAD_TOO_LARGE',
      code: 8,
      message: `Request body is larger than ${MAX_BODY_BYTES} bytes`,
      details: [],
    });
  });

  test('a streamed body over 64 KiB without a declared length is 413', async () => {
    const request = new Request(`http://localhost${PLAY_ACTIVE}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-mock-user-id': 'stream-user' },
      body: streamOf(bodyOfSize(MAX_BODY_BYTES * 2)),
      duplex: 'half',
    } as RequestInit);
    expect(request.headers.get('content-length')).toBeNull();
    const response = await app.handle(request);
    expect(response.status).toBe(413);
    expect((await errorOf(response)).error).toBe('PAYLOAD_TOO_LARGE');
  });

  test('an oversized body is refused on every route that reads one', async () => {
    const body = bodyOfSize(MAX_BODY_BYTES + 100);
    for (const path of [
      '/v1/challenges/initialize',
      '/v1/challenges/starter-challenge/goals/play-5-matches/claim',
    ]) {
      const response = await app.request('POST', path, { user: 'big-user', body });
      expect(response.status).toBe(413);
      expect((await errorOf(response)).error).toBe('PAYLOAD_TOO_LARGE');
    }
  });

  test('a body of exactly 64 KiB is accepted', async () => {
    const streamed = new Request(`http://localhost${PLAY_ACTIVE}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-mock-user-id': 'limit-user' },
      body: streamOf(bodyOfSize(MAX_BODY_BYTES)),
      duplex: 'half',
    } as RequestInit);
    expect((await app.handle(streamed)).status).toBe(200);
    const declared = await app.request('PUT', PLAY_ACTIVE, {
      user: 'limit-user',
      body: bodyOfSize(MAX_BODY_BYTES),
    });
    expect(declared.status).toBe(200);
  });

  test('a huge streamed body is refused once it passes the limit, not read to its end', async () => {
    const chunk = new Uint8Array(8192).fill(0x20);
    // Large enough to tell reading on from stopping, small enough to be harmless if read whole.
    const total = 32 * 1024 * 1024;
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= total) return controller.close();
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const response = await app.handle(
      new Request(`http://localhost${PLAY_ACTIVE}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-mock-user-id': 'endless-user' },
        body: endless,
        duplex: 'half',
      } as RequestInit),
    );
    expect(response.status).toBe(413);
    expect((await errorOf(response)).error).toBe('PAYLOAD_TOO_LARGE');
    // The stream may pull a chunk or two ahead of the reader; it is never drained.
    expect(pulled).toBeLessThan(MAX_BODY_BYTES + 4 * chunk.byteLength);
  });

  test('malformed JSON is 400 INVALID_REQUEST', async () => {
    for (const body of ['{', '{"isActive": true,}', 'isActive=true']) {
      const response = await app.request('PUT', PLAY_ACTIVE, { user: 'json-user', body });
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toEqual({
        error: 'INVALID_REQUEST',
        code: 3,
        message: 'Request body is not valid JSON',
        details: [],
      });
    }
  });
});

describe('active_only', () => {
  test.each(['true', 'TRUE', 'True', 'false', 'FALSE'])('accepts %s on both reads', async (value) => {
    for (const path of ['/v1/challenges', '/v1/challenges/progression']) {
      const response = await app.request('GET', `${path}?active_only=${value}`, { user: 'flag-user' });
      expect(response.status).toBe(200);
    }
  });

  test.each(['yes', '1', '0', '', 'truee', 'null'])(
    'refuses %p with 400 naming the parameter',
    async (value) => {
      for (const path of ['/v1/challenges', '/v1/challenges/progression']) {
        const response = await app.request('GET', `${path}?active_only=${value}`, { user: 'flag-user' });
        expect(response.status).toBe(400);
        const body = await errorOf(response);
        expect(body).toMatchObject({ error: 'INVALID_REQUEST', code: 3, details: [] });
        expect(body.message).toContain('active_only');
        expect(body.message).toContain('true or false');
      }
    },
  );
});

describe('query parameters and path segments', () => {
  test('a parameter a route reads, given twice, is 400 naming it, whichever value comes first', async () => {
    for (const query of ['active_only=true&active_only=false', 'active_only=false&active_only=true']) {
      const response = await app.request('GET', `/v1/challenges?${query}`, { user: 'query-user' });
      expect(response.status).toBe(400);
      const body = await errorOf(response);
      expect(body).toMatchObject({ error: 'INVALID_REQUEST' });
      expect(body.message).toBe("Query parameter 'active_only' is given more than once");
    }
    const once = await app.request('GET', '/v1/challenges?active_only=true', { user: 'query-user' });
    expect(once.status).toBe(200);
    // A parameter the route does not read is ignored, repeated or not, as by the original's gateway:
    // also one another route reads.
    for (const query of ['_=1&_=2&active_only=true', 'limit=1&limit=2']) {
      const ignored = await app.request('GET', `/v1/challenges?${query}`, { user: 'query-user' });
      expect(ignored.status).toBe(200);
    }
    // Under BASE_PATH too, and an unknown route stays 404.
    const prefixedTwice = await prefixed.request('GET', '/v1/challenges?active_only=true&active_only=true', {
      user: 'query-user',
    });
    expect(prefixedTwice.status).toBe(400);
    const unknownRoute = await app.request('GET', '/v1/nothing?active_only=1&active_only=2', {
      user: 'query-user',
    });
    expect(unknownRoute.status).toBe(404);
  });

  test('a path segment that is not valid percent-encoding is 400 about the path, not a body', async () => {
    const response = await app.request('GET', '/v1/challenges/%E0%A4%A', { user: 'query-user' });
    expect(response.status).toBe(400);
    const body = await errorOf(response);
    expect(body.error).toBe('INVALID_REQUEST');
    expect(body.message).toStartWith('Invalid path');
    expect(body.message).not.toContain('body');
  });
});

describe('echoed ids', () => {
  const long = 'g'.repeat(10_000);

  test.each([
    ['GOAL_NOT_FOUND', 'PUT', `/v1/challenges/starter-challenge/goals/${long}/active`],
    ['GOAL_NOT_FOUND', 'POST', `/v1/challenges/starter-challenge/goals/${long}/claim`],
    ['CHALLENGE_NOT_FOUND', 'GET', `/v1/challenges/${long}`],
    ['INVALID_REQUEST', 'GET', `/v1/challenges?active_only=${long}`],
    ['NOT_FOUND', 'GET', `/${long}`],
  ] as const)(
    '%s for a 10,000-character value shows 100 characters of it (%s)',
    async (error, method, path) => {
      const body = method === 'PUT' ? { isActive: true } : undefined;
      const response = await app.request(method, path, { user: 'long-id-user', body });
      const parsed = await errorOf(response);
      expect(parsed.error).toBe(error);
      expect(parsed.message).toContain(`${'g'.repeat(error === 'NOT_FOUND' ? 99 : 100)}…`);
      expect(parsed.message).not.toContain('g'.repeat(101));
      expect(parsed.message.length).toBeLessThan(400);
    },
  );
});

describe('x-request-id', () => {
  test('every response carries one, unique per request', async () => {
    const responses = await Promise.all([
      app.request('GET', '/v1/challenges', { user: 'rid-user' }),
      app.request('POST', '/v1/challenges/initialize', { user: 'rid-user' }),
      app.request('GET', '/v1/challenges/no-such', { user: 'rid-user' }),
      app.request('PUT', PLAY_ACTIVE, { user: 'rid-user', body: '{' }),
      app.request('PUT', PLAY_ACTIVE, { user: 'rid-user', body: bodyOfSize(MAX_BODY_BYTES + 1) }),
      app.request('GET', '/nope'),
      app.request('GET', '/healthz'),
      app.request('GET', '/metrics'),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 404, 400, 413, 404, 200, 200]);
    const ids = responses.map((response) => response.headers.get('x-request-id') ?? '');
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('a valid incoming id is echoed, on success and on error', async () => {
    const ok = await app.request('GET', '/v1/challenges', {
      user: 'rid-user',
      headers: { 'x-request-id': 'client-req.42:abc_DEF' },
    });
    expect(ok.headers.get('x-request-id')).toBe('client-req.42:abc_DEF');
    const notFound = await app.request('GET', '/v1/challenges/no-such', {
      user: 'rid-user',
      headers: { 'x-request-id': 'trace-404' },
    });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('x-request-id')).toBe('trace-404');
  });

  test('an unusable incoming id is replaced', async () => {
    for (const incoming of ['has space', 'x'.repeat(129), '<script>']) {
      const response = await app.request('GET', '/healthz', { headers: { 'x-request-id': incoming } });
      expect(response.headers.get('x-request-id')).toMatch(UUID);
    }
  });
});

describe('unexpected failures', () => {
  test('a database failure is 500 INTERNAL without internals', async () => {
    await using db = await createTestDb();
    const broken = await createTestApp({ db });
    await db.pool`drop table user_goal_progress cascade`;
    const requests: [string, string, unknown][] = [
      ['GET', '/v1/challenges', undefined],
      ['GET', '/v1/challenges/progression', undefined],
      ['POST', '/v1/challenges/initialize', undefined],
      ['PUT', PLAY_ACTIVE, { isActive: true }],
    ];
    for (const [method, path, body] of requests) {
      const response = await broken.request(method, path, { user: 'broken-user', body });
      expect(response.status).toBe(500);
      expect(response.headers.get('x-request-id')).toMatch(UUID);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({
        error: 'INTERNAL',
        code: 13,
        message: 'An unexpected error occurred; it was logged with this request id',
        details: [],
      });
      for (const leak of ['user_goal_progress', 'relation', 'does not exist', 'postgres', 'select'])
        expect(text.toLowerCase()).not.toContain(leak);
    }
  });

  test('a thrown Error is 500 INTERNAL, its message logged once with the request id and not returned', async () => {
    const secret = 'connection to 10.1.2.3 failed: password authentication for admin s3cr3t';
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    const rejects = () => Promise.reject(new Error(secret));
    const throws = (): never => {
      throw new Error(secret);
    };
    const failing = createApp({
      basePath: '',
      authenticate: createAuthenticator({ mode: 'mock' }),
      queries: { listChallenges: rejects, getChallenge: throws },
      assignment: { initialize: throws, setActive: rejects },
      selection: { batchSelect: rejects, randomSelect: throws },
      rotation: { getRotation: rejects },
      erasure: { erasePlayer: rejects },
      authorizeAdmin: createAdminAuthorizer({
        mode: 'mock',
        authenticate: createAuthenticator({ mode: 'mock' }),
        namespace: 'ns',
      }),
      configAdmin: { get: rejects, validate: throws, apply: rejects },
      auditTrail: { playerEntries: rejects, goalHistory: rejects },
      outboxAdmin: { parked: rejects, redeliver: rejects },
      streams: { open: rejects, openStreams: () => 0, stop: async () => {} },
      adminPlayers: {
        challenges: rejects,
        events: rejects,
        setProgress: rejects,
        complete: rejects,
        reset: rejects,
        claim: rejects,
        erase: rejects,
      },
      claimReward: rejects,
      checkDatabase: async () => {},
      metrics: createMetrics({ defaultMetrics: false }),
      logger,
    });
    const cases: [string, string, string | undefined][] = [
      ['GET', '/v1/challenges', undefined],
      ['GET', '/v1/challenges/progression', undefined],
      ['POST', '/v1/challenges/initialize', undefined],
      ['PUT', PLAY_ACTIVE, '{"isActive":true}'],
      ['POST', '/v1/challenges/starter-challenge/goals/play-5-matches/claim', undefined],
    ];
    for (const [method, path, body] of cases) {
      lines.length = 0;
      const response = await failing.handle(
        new Request(`http://localhost${path}`, {
          method,
          headers: { 'content-type': 'application/json', 'x-request-id': `fail-${method}` },
          body,
        }),
      );
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ error: 'INTERNAL', code: 13, details: [] });
      expect(text).not.toContain('s3cr3t');
      expect(text).not.toContain('10.1.2.3');
      expect(response.headers.get('x-request-id')).toBe(`fail-${method}`);
      const errors = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((l) => l['level'] === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.['requestId']).toBe(`fail-${method}`);
      expect(JSON.stringify(errors[0])).toContain('s3cr3t');
    }
  });
});

describe('authentication through the app (dev mode)', () => {
  const UNAUTHENTICATED: ErrorBody = {
    error: 'UNAUTHENTICATED',
    code: 16,
    message: 'A valid bearer token is required (Authorization: Bearer <JWT>)',
    details: [],
  };

  const expiredToken = () => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ namespace: TEST_NAMESPACE })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('expired-user')
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(new TextEncoder().encode(DEV_SECRET));
  };

  test('missing, malformed, foreign, forged and expired tokens are all the same 401', async () => {
    const headerSets: Record<string, string>[] = [
      {},
      { authorization: '' },
      { authorization: 'Bearer garbage' },
      { authorization: 'Bearer a.b.c' },
      { authorization: `Basic ${btoa('user:pass')}` },
      { authorization: `Bearer ${await devToken('foreign-user', 'other-ns')}` },
      {
        authorization: `Bearer ${await mintDevToken({
          secret: 'a-different-secret-that-is-also-long-enough',
          userId: 'forged-user',
          namespace: TEST_NAMESPACE,
        })}`,
      },
      { authorization: `Bearer ${await expiredToken()}` },
      { 'x-mock-user-id': 'mock-header-user' },
    ];
    for (const headers of headerSets) {
      const response = await devApp.request('GET', '/v1/challenges', { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('x-request-id')).toMatch(UUID);
      expect(await errorOf(response)).toEqual(UNAUTHENTICATED);
    }
  });

  test('every /v1 route needs a token', async () => {
    const routes: [string, string, unknown][] = [
      ['GET', '/v1/challenges', undefined],
      ['GET', '/v1/challenges/progression', undefined],
      ['POST', '/v1/challenges/initialize', undefined],
      ['PUT', PLAY_ACTIVE, { isActive: true }],
      ['POST', '/v1/challenges/starter-challenge/goals/play-5-matches/claim', undefined],
    ];
    for (const [method, path, body] of routes) {
      const response = await devApp.request(method, path, { body });
      expect(response.status).toBe(401);
      expect(await errorOf(response)).toEqual(UNAUTHENTICATED);
    }
  });

  test('a valid token works and its user sees only their own rows', async () => {
    const init = await devApp.json<{ newAssignments: number }>('POST', '/v1/challenges/initialize', {
      user: 'token-alice',
    });
    expect(init.status).toBe(200);
    expect(init.body.newAssignments).toBe(3);
    const activated = await devApp.request('PUT', PLAY_ACTIVE, {
      user: 'token-alice',
      body: { isActive: true },
    });
    expect(activated.status).toBe(200);

    type List = { challenges: { goals: { goalId: string }[] }[] };
    const activeIds = (list: List) => list.challenges.flatMap((c) => c.goals.map((g) => g.goalId));
    const alice = await devApp.json<List>('GET', '/v1/challenges?active_only=true', { user: 'token-alice' });
    expect(alice.status).toBe(200);
    expect(activeIds(alice.body)).toEqual([
      'defeat-10-enemies',
      'login-3-times',
      'play-5-matches',
      'tutorial',
    ]);
    const bob = await devApp.json<List>('GET', '/v1/challenges?active_only=true', { user: 'token-bob' });
    expect(bob.status).toBe(200);
    expect(activeIds(bob.body)).toEqual([]);
  });

  test('a token without a namespace claim is accepted', async () => {
    const token = await mintDevToken({ secret: DEV_SECRET, userId: 'no-namespace-user' });
    const response = await devApp.request('GET', '/v1/challenges', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
  });
});

describe('BASE_PATH', () => {
  const bare = (path: string) =>
    prefixed.handle(new Request(`http://localhost${path}`, { headers: { 'x-mock-user-id': 'prefix-user' } }));

  test('serves the API and health check under the prefix', async () => {
    const list = await prefixed.json<{ challenges: unknown[] }>('GET', '/v1/challenges', {
      user: 'prefix-user',
    });
    expect(list.status).toBe(200);
    expect(list.body.challenges).toHaveLength(3);
    const health = await bare('/challenge/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'healthy' });
    const activated = await prefixed.request('PUT', PLAY_ACTIVE, {
      user: 'prefix-user',
      body: { isActive: true },
    });
    expect(activated.status).toBe(200);
    const unknown = await prefixed.json<ErrorBody>('GET', '/v1/challenges/no-such', { user: 'prefix-user' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('CHALLENGE_NOT_FOUND');
  });

  test('paths without the prefix are 404 NOT_FOUND', async () => {
    for (const path of ['/v1/challenges', '/healthz']) {
      const response = await bare(path);
      expect(response.status).toBe(404);
      expect((await errorOf(response)).error).toBe('NOT_FOUND');
    }
  });
});
