/**
 * Every /v1 route answers within the request deadline, however long its dependencies take: against
 * a PostgreSQL whose processes are frozen (connections open, nothing ever answers), and for each
 * registered route against services that never settle.
 */
import { describe, expect, test } from 'bun:test';
import { createAdminAuthorizer, createAuthenticator } from '../../src/auth/index.ts';
import { createPool, warmUp } from '../../src/db/client.ts';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { migrate } from '../../src/db/migrate.ts';
import { MIGRATIONS } from '../../src/db/migrations.ts';
import { createApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { freezePostgres } from '../helpers/freeze-postgres.ts';
import { useOwnPostgres } from '../helpers/own-postgres.ts';
import { borrowedDb, createTestApp } from '../helpers/test-app.ts';

const REQUEST_TIMEOUT_MS = 1_000;
const database = useOwnPostgres('request-deadline');

/** The request's answer and how long it took, or 'no answer' if it took longer than `limitMs`. */
async function answerWithin(request: Promise<Response>, limitMs: number) {
  const started = performance.now();
  const outcome = await Promise.race([request, Bun.sleep(limitMs).then(() => 'no answer' as const)]);
  return { outcome, ms: performance.now() - started };
}

async function expectUnavailable(outcome: Response | 'no answer'): Promise<void> {
  expect(outcome).not.toBe('no answer');
  if (outcome === 'no answer') return;
  expect(outcome.status).toBe(503);
  expect(outcome.headers.get('x-request-id')).toBeTruthy();
  expect(await outcome.json()).toMatchObject({ error: 'UNAVAILABLE', code: 14, details: [] });
}

describe('a frozen database', () => {
  test('GET /v1/challenges and the other reads and writes answer 503 UNAVAILABLE at the deadline', async () => {
    const postgres = await database.start(await freePort());
    // One connection, opened before the freeze: queries are sent and never answered, the case
    // no connect timeout covers.
    const pool = createPool({ url: postgres.url, maxConnections: 1 });
    await migrate(pool, MIGRATIONS);
    await warmUp(pool);
    const app = await createTestApp({
      db: borrowedDb(pool, postgres.url),
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    expect((await app.request('GET', '/v1/challenges', { user: 'frozen-user' })).status).toBe(200);

    const frozen = freezePostgres(postgres.dataDir);
    try {
      const list = answerWithin(app.request('GET', '/v1/challenges', { user: 'frozen-user' }), 3_000);
      const others = [
        app.request('GET', '/v1/challenges/progression', { user: 'frozen-user' }),
        app.request('POST', '/v1/challenges/initialize', { user: 'frozen-user' }),
        app.request('PUT', '/v1/challenges/starter-challenge/goals/play-5-matches/active', {
          user: 'frozen-user',
          body: { isActive: true },
        }),
      ].map((request) => answerWithin(request, 3_000));
      const { outcome, ms } = await list;
      await expectUnavailable(outcome);
      expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + 500);
      for (const other of await Promise.all(others)) {
        await expectUnavailable(other.outcome);
        expect(other.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 500);
      }
    } finally {
      frozen.thaw();
      await pool.end({ timeout: 5 });
    }
  }, 30_000);
});

describe('every /v1 route', () => {
  test('answers 503 UNAVAILABLE at its deadline when its service never settles', async () => {
    const never = () => new Promise<never>(() => {});
    const deadlineMs = 200;
    const app = createApp({
      basePath: '',
      authenticate: createAuthenticator({ mode: 'mock' }),
      queries: { listChallenges: never, getChallenge: never },
      assignment: { initialize: never, setActive: never },
      selection: { batchSelect: never, randomSelect: never },
      rotation: { getRotation: never },
      erasure: { erasePlayer: never },
      authorizeAdmin: createAdminAuthorizer({
        mode: 'mock',
        authenticate: createAuthenticator({ mode: 'mock' }),
        namespace: 'ns',
      }),
      configAdmin: { get: never, validate: never, apply: never },
      auditTrail: { playerEntries: never, goalHistory: never },
      outboxAdmin: { parked: never, redeliver: never },
      streams: { open: never, openStreams: () => 0, stop: async () => {} },
      adminPlayers: {
        challenges: never,
        events: never,
        setProgress: never,
        complete: never,
        reset: never,
        claim: never,
        erase: never,
      },
      claimReward: never,
      checkDatabase: never,
      metrics: createMetrics({ defaultMetrics: false }),
      logger: createLogger('fatal'),
      requestTimeoutMs: deadlineMs,
      claimTimeoutMs: deadlineMs,
    });
    const routes = app.routes.filter((route) => route.path.startsWith('/v1/'));
    expect(routes.length).toBeGreaterThanOrEqual(5);
    const answers = routes.map(async ({ method, path }) => {
      const request = new Request(`http://localhost${path.replace(/:\w+/g, 'some-id')}`, {
        method,
        headers: {
          'content-type': 'application/json',
          'x-mock-user-id': 'hung-user',
          'x-mock-admin-id': 'hung-admin',
        },
        ...(method === 'GET' ? {} : { body: '{"isActive":true,"progress":1}' }),
      });
      return { route: `${method} ${path}`, ...(await answerWithin(app.handle(request), 2_000)) };
    });
    for (const { route, outcome, ms } of await Promise.all(answers)) {
      expect({ route, status: outcome === 'no answer' ? outcome : outcome.status }).toEqual({
        route,
        status: 503,
      });
      expect(ms).toBeLessThan(deadlineMs + 500);
    }
  });
});
