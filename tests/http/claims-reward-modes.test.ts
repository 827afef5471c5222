/**
 * Claims end to end through the app with each REWARD_MODE granter built by `createRewardGranter`,
 * talking to local fake servers (never the internet): the AGS Platform API with client-credentials
 * OAuth, a signed webhook, and the mock backend.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { writeProgressState } from '../../src/db/progress-rows.ts';
import { createRewardGranter } from '../../src/rewards/create-granter.ts';
import { type RetryPolicy, RewardGrantError } from '../../src/rewards/reward-granter.ts';
import { verifyWebhookSignature } from '../../src/webhooks/signature.ts';
import { createTestApp, TEST_NAMESPACE, type TestApp } from '../helpers/test-app.ts';
import { createTestDb } from '../helpers/test-db.ts';
import { CLIENT_ID, CLIENT_SECRET, type FakeAgsOptions, startFakeAgs } from '../rewards/fake-ags.ts';
import { json, type RecordedRequest, startFakeServer } from '../rewards/fake-server.ts';

interface ErrorJson {
  readonly error: string;
  readonly code: number;
  readonly message: string;
}

const FAST: RetryPolicy = { maxAttempts: 4, initialDelayMs: 5, maxDelayMs: 20, totalTimeoutMs: 2_000 };
const WEBHOOK_SECRET = 'claims-webhook-secret';
/** Per-test timeout for tests that race many requests or build extra apps (the default is 5 s). */
const SLOW = 15_000;

const db = await createTestDb();
afterAll(() => db.drop());

let users = 0;
const newUser = () => `mode-user-${++users}`;

const ITEM_GOAL = { challengeId: 'starter-challenge', goalId: 'defeat-10-enemies' } as const;
const WALLET_GOAL = { challengeId: 'starter-challenge', goalId: 'login-3-times' } as const;
type GoalRef = typeof ITEM_GOAL | typeof WALLET_GOAL;

/** Assigns the default goals and marks `goal` completed, as the event pipeline would. */
async function seedCompleted(on: TestApp, user: string, goal: GoalRef) {
  expect((await on.request('POST', '/v1/challenges/initialize', { user })).status).toBe(200);
  const target = on.catalog.goalById.get(goal.goalId)?.requirement.targetValue ?? 1;
  const now = new Date();
  await writeProgressState(on.db.pool, {
    userId: user,
    goalId: goal.goalId,
    progress: target,
    status: 'completed',
    completedAt: now,
    now,
  });
}

const claim = (on: TestApp, user: string, goal: GoalRef) =>
  on.json<ErrorJson>('POST', `/v1/challenges/${goal.challengeId}/goals/${goal.goalId}/claim`, { user });

async function statusOf(on: TestApp, user: string, goal: GoalRef): Promise<string | undefined> {
  const { body } = await on.json<{ goals: { goalId: string; status: string }[] }>(
    'GET',
    `/v1/challenges/${goal.challengeId}`,
    { user },
  );
  return body.goals.find((candidate) => candidate.goalId === goal.goalId)?.status;
}

/** Reservations still leased: a failed grant leaves its entry pending with no lease, claimable again. */
const leasedClaims = async (user: string) =>
  (
    await db.pool`select 1 from reward_claims where user_id = ${user} and status = 'pending' and lease_until is not null`
  ).length;

const agsApp = async (fake: FakeAgsOptions = {}, retry: RetryPolicy = FAST) => {
  const ags = startFakeAgs(fake);
  const granter = createRewardGranter({
    mode: 'ags',
    baseUrl: ags.url,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    retry,
  });
  return { ags, app: await createTestApp({ db, granter }) };
};

describe('ags mode', () => {
  test(
    'ITEM → entitlement grant and WALLET → wallet credit, with one client-credentials token',
    async () => {
      const { ags, app } = await agsApp();
      await using _ags = ags;
      await using _app = app;
      const user = newUser();
      await seedCompleted(app, user, ITEM_GOAL);
      await seedCompleted(app, user, WALLET_GOAL);

      expect((await claim(app, user, ITEM_GOAL)).status).toBe(200);
      expect((await claim(app, user, WALLET_GOAL)).status).toBe(200);

      expect(ags.tokenRequests).toHaveLength(1);
      const [token] = ags.tokenRequests;
      expect(token?.method).toBe('POST');
      const basic = token?.headers.get('authorization')?.replace(/^Basic /, '') ?? '';
      expect(Buffer.from(basic, 'base64').toString('utf8')).toBe(`${CLIENT_ID}:${CLIENT_SECRET}`);
      expect(new URLSearchParams(token?.body).get('grant_type')).toBe('client_credentials');

      expect(ags.platformRequests.map((request) => [request.method, request.path])).toEqual([
        ['POST', `/platform/admin/namespaces/${TEST_NAMESPACE}/users/${user}/entitlements`],
        ['PUT', `/platform/admin/namespaces/${TEST_NAMESPACE}/users/${user}/wallets/GOLD/credit`],
      ]);
      const [entitlement, credit] = ags.platformRequests;
      expect(entitlement?.headers.get('authorization')).toBe('Bearer token-1');
      expect(JSON.parse(entitlement?.body ?? '')).toEqual([
        { itemId: 'bronze_sword', itemNamespace: TEST_NAMESPACE, quantity: 1 },
      ]);
      expect(credit?.headers.get('authorization')).toBe('Bearer token-1');
      expect(JSON.parse(credit?.body ?? '')).toMatchObject({ amount: 50 });

      expect(await statusOf(app, user, ITEM_GOAL)).toBe('claimed');
      expect(await statusOf(app, user, WALLET_GOAL)).toBe('claimed');
    },
    SLOW,
  );

  test(
    '500 twice then 200 → the claim succeeds after retries of the same call',
    async () => {
      const { ags, app } = await agsApp({
        platform: (_request, n) => (n <= 2 ? json({ errorMessage: 'busy' }, 500) : json({}, 200)),
      });
      await using _ags = ags;
      await using _app = app;
      const user = newUser();
      await seedCompleted(app, user, ITEM_GOAL);

      const { status } = await claim(app, user, ITEM_GOAL);

      expect(status).toBe(200);
      expect(ags.platformRequests).toHaveLength(3);
      expect(new Set(ags.platformRequests.map((request) => `${request.path} ${request.body}`)).size).toBe(1);
      expect(await statusOf(app, user, ITEM_GOAL)).toBe('claimed');
    },
    SLOW,
  );

  test(
    '400 → 502 after one attempt; the goal stays claimable and a later claim succeeds',
    async () => {
      let answer = 400;
      const { ags, app } = await agsApp({
        platform: () => json({ errorCode: 30341, errorMessage: 'item not found' }, answer),
      });
      await using _ags = ags;
      await using _app = app;
      const user = newUser();
      await seedCompleted(app, user, ITEM_GOAL);

      const failed = await claim(app, user, ITEM_GOAL);

      expect(failed.status).toBe(502);
      expect(failed.body).toMatchObject({ error: 'REWARD_GRANT_FAILED', code: 13 });
      expect(failed.body.message).not.toContain('item not found');
      expect(ags.platformRequests).toHaveLength(1);
      expect(await statusOf(app, user, ITEM_GOAL)).toBe('completed');
      expect(await leasedClaims(user)).toBe(0);

      answer = 200;
      expect((await claim(app, user, ITEM_GOAL)).status).toBe(200);
      expect(ags.platformRequests).toHaveLength(2);
      expect(await statusOf(app, user, ITEM_GOAL)).toBe('claimed');
    },
    SLOW,
  );

  test(
    'refused client credentials → 502 and no platform call',
    async () => {
      const { ags, app } = await agsApp({ token: () => json({ error: 'invalid_client' }, 401) });
      await using _ags = ags;
      await using _app = app;
      const user = newUser();
      await seedCompleted(app, user, WALLET_GOAL);

      const { status, body } = await claim(app, user, WALLET_GOAL);

      expect(status).toBe(502);
      expect(body.error).toBe('REWARD_GRANT_FAILED');
      expect(ags.tokenRequests).toHaveLength(1);
      expect(ags.platformRequests).toHaveLength(0);
      expect(await statusOf(app, user, WALLET_GOAL)).toBe('completed');
    },
    SLOW,
  );
});

describe('webhook mode', () => {
  /** A game backend that refuses unsigned or mis-keyed grants with 401 and otherwise answers `status()`. */
  function startReceiver(status: () => number) {
    const accepted: RecordedRequest[] = [];
    const server = startFakeServer((request) => {
      const signed = verifyWebhookSignature(
        WEBHOOK_SECRET,
        request.headers.get('x-challenge-timestamp') ?? '',
        request.body,
        request.headers.get('x-challenge-signature') ?? '',
      );
      const body: unknown = JSON.parse(request.body);
      const key =
        typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['idempotencyKey'] : '';
      if (!signed || typeof key !== 'string' || key !== request.headers.get('idempotency-key')) {
        return json({ error: 'bad signature or idempotency key' }, 401);
      }
      accepted.push(request);
      return new Response(null, { status: status() });
    });
    return { server, accepted };
  }

  const webhookApp = (url: string, options: { secret?: string; retry?: RetryPolicy } = {}) =>
    createTestApp({
      db,
      granter: createRewardGranter({
        mode: 'webhook',
        url: `${url}/grants`,
        secret: options.secret ?? WEBHOOK_SECRET,
        retry: options.retry ?? FAST,
      }),
    });

  test(
    'a signed grant answered 200 → the claim succeeds',
    async () => {
      const { server, accepted } = startReceiver(() => 200);
      await using _server = server;
      await using app = await webhookApp(server.url);
      const user = newUser();
      await seedCompleted(app, user, WALLET_GOAL);

      const { status } = await claim(app, user, WALLET_GOAL);

      expect(status).toBe(200);
      expect(accepted).toHaveLength(1);
      expect(accepted[0]?.path).toBe('/grants');
      expect(JSON.parse(accepted[0]?.body ?? '')).toEqual({
        userId: user,
        namespace: TEST_NAMESPACE,
        challengeId: 'starter-challenge',
        goalId: 'login-3-times',
        reward: { type: 'WALLET', rewardId: 'GOLD', quantity: 50 },
        idempotencyKey: expect.any(String),
      });
      expect(await statusOf(app, user, WALLET_GOAL)).toBe('claimed');
    },
    SLOW,
  );

  test(
    'a granter with the wrong secret is refused → 502 after one attempt',
    async () => {
      const { server, accepted } = startReceiver(() => 200);
      await using _server = server;
      await using app = await webhookApp(server.url, { secret: 'not-the-shared-secret' });
      const user = newUser();
      await seedCompleted(app, user, ITEM_GOAL);

      const { status, body } = await claim(app, user, ITEM_GOAL);

      expect(status).toBe(502);
      expect(body.error).toBe('REWARD_GRANT_FAILED');
      expect(server.requests).toHaveLength(1);
      expect(accepted).toHaveLength(0);
      expect(await statusOf(app, user, ITEM_GOAL)).toBe('completed');
    },
    SLOW,
  );

  test(
    '503 forever → 502 within the retry budget; the retry later repeats the same idempotency key',
    async () => {
      let answer = 503;
      const { server, accepted } = startReceiver(() => answer);
      await using _server = server;
      const budget: RetryPolicy = {
        maxAttempts: 100,
        initialDelayMs: 20,
        maxDelayMs: 40,
        totalTimeoutMs: 400,
      };
      await using app = await webhookApp(server.url, { retry: budget });
      const user = newUser();
      await seedCompleted(app, user, ITEM_GOAL);

      const started = performance.now();
      const failed = await claim(app, user, ITEM_GOAL);
      const elapsed = performance.now() - started;

      expect(failed.status).toBe(502);
      expect(failed.body).toMatchObject({ error: 'REWARD_GRANT_FAILED', code: 13 });
      expect(elapsed).toBeLessThan(budget.totalTimeoutMs + 600);
      expect(accepted.length).toBeGreaterThan(1);
      const keys = new Set(accepted.map((request) => request.headers.get('idempotency-key')));
      expect(keys.size).toBe(1);
      expect(await statusOf(app, user, ITEM_GOAL)).toBe('completed');
      expect(await leasedClaims(user)).toBe(0);

      answer = 200;
      const attemptsBefore = accepted.length;
      expect((await claim(app, user, ITEM_GOAL)).status).toBe(200);
      expect(accepted).toHaveLength(attemptsBefore + 1);
      expect(accepted.at(-1)?.headers.get('idempotency-key')).toBe([...keys][0] ?? null);
    },
    SLOW,
  );
});

describe('mock mode', () => {
  test(
    'createRewardGranter({ mode: "mock" }) grants',
    async () => {
      await using app = await createTestApp({ db, granter: createRewardGranter({ mode: 'mock' }) });
      const user = newUser();
      await seedCompleted(app, user, ITEM_GOAL);

      const { status } = await claim(app, user, ITEM_GOAL);

      expect(status).toBe(200);
      expect(await statusOf(app, user, ITEM_GOAL)).toBe('claimed');
    },
    SLOW,
  );

  test(
    'a mock failure (failWith) → 502 and the goal stays completed',
    async () => {
      const granter = createRewardGranter({
        mode: 'mock',
        failWith: (request) =>
          request.goalId === ITEM_GOAL.goalId
            ? new RewardGrantError('simulated', { permanent: true })
            : undefined,
      });
      await using app = await createTestApp({ db, granter });
      const user = newUser();
      await seedCompleted(app, user, ITEM_GOAL);
      await seedCompleted(app, user, WALLET_GOAL);

      expect((await claim(app, user, ITEM_GOAL)).status).toBe(502);
      expect((await claim(app, user, WALLET_GOAL)).status).toBe(200);
      expect(await statusOf(app, user, ITEM_GOAL)).toBe('completed');
      expect(await statusOf(app, user, WALLET_GOAL)).toBe('claimed');
    },
    SLOW,
  );
});
