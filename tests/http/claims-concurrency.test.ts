/**
 * The claim flow under concurrency and partial failure: exactly one grant per goal under racing
 * claims, no pool connection or row lock held while the reward backend works, and recovery of a
 * request that died between grant and commit (same idempotency key, never a second new grant).
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { createPool, warmUp } from '../../src/db/client.ts';
import { lockProgressState, writeProgressState } from '../../src/db/progress-rows.ts';
import { lockClaim, recordGrant, reserveClaim } from '../../src/db/reward-claims.ts';
import { claimIdempotencyKey } from '../../src/domain/claim-key.ts';
import type { Reward } from '../../src/domain/types.ts';
import { createMockGranter } from '../../src/rewards/mock-granter.ts';
import type { GrantRequest, RewardGranter } from '../../src/rewards/reward-granter.ts';
import { createTestApp, slowMockGranter, TEST_NAMESPACE, type TestApp } from '../helpers/test-app.ts';
import { createTestDb } from '../helpers/test-db.ts';

interface ErrorJson {
  readonly error: string;
  readonly code: number;
  readonly message: string;
}

interface LedgerRow {
  readonly status: string;
  readonly idempotency_key: string;
  readonly lease_until: Date | null;
}

const CHALLENGE = 'starter-challenge';
const GOAL = 'play-5-matches';
const REWARD = { type: 'WALLET', rewardId: 'GOLD', quantity: 100 } as const;
/** Per-test timeout for tests that race many requests or build extra apps (the default is 5 s). */
const SLOW = 15_000;

const app = await createTestApp();
afterAll(() => app.close());

let users = 0;
const newUser = () => `race-user-${++users}`;

const claimPath = (goalId = GOAL) => `/v1/challenges/${CHALLENGE}/goals/${goalId}/claim`;
const claim = (on: TestApp, user: string) => on.json<ErrorJson>('POST', claimPath(), { user });

/** Activates GOAL for `user` and marks it completed, as the event pipeline would. */
async function seedCompletedGoal(on: TestApp, user: string) {
  const response = await on.request('PUT', `/v1/challenges/${CHALLENGE}/goals/${GOAL}/active`, {
    user,
    body: { isActive: true },
  });
  expect(response.status).toBe(200);
  const now = new Date();
  await writeProgressState(on.db.pool, {
    userId: user,
    goalId: GOAL,
    progress: 5,
    status: 'completed',
    completedAt: now,
    now,
  });
}

async function statusOf(on: TestApp, user: string): Promise<string | undefined> {
  const { body } = await on.json<{ goals: { goalId: string; status: string }[] }>(
    'GET',
    `/v1/challenges/${CHALLENGE}`,
    { user },
  );
  return body.goals.find((goal) => goal.goalId === GOAL)?.status;
}

const ledgerOf = async (on: TestApp, user: string): Promise<LedgerRow[]> => [
  ...(await on.db.pool<LedgerRow[]>`select status, idempotency_key, lease_until from reward_claims
    where user_id = ${user}`),
];

/**
 * A recording granter whose grants wait until the test releases them (or 5 s pass, so a broken
 * implementation fails the test's assertions instead of hanging it).
 */
function gatedGranter() {
  const started: GrantRequest[] = [];
  const gate = Promise.withResolvers<void>();
  const safety = setTimeout(gate.resolve, 5_000);
  const granter: RewardGranter = {
    mode: 'mock',
    grant: async (request) => {
      started.push(request);
      await gate.promise;
    },
  };
  const release = () => {
    clearTimeout(safety);
    gate.resolve();
  };
  return { granter, started, release };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) await Bun.sleep(5);
}

const countStatuses = (responses: readonly { status: number }[]) => {
  const counts = new Map<number, number>();
  for (const { status } of responses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return Object.fromEntries(counts);
};

describe('simultaneous claims of one goal', () => {
  test(
    '100 at once → one 200, 99 × 409 GOAL_ALREADY_CLAIMED, one grant',
    async () => {
      const user = newUser();
      await seedCompletedGoal(app, user);

      const responses = await Promise.all(Array.from({ length: 100 }, () => claim(app, user)));

      expect(countStatuses(responses)).toEqual({ 200: 1, 409: 99 });
      for (const response of responses.filter((r) => r.status === 409)) {
        expect(response.body).toMatchObject({ error: 'GOAL_ALREADY_CLAIMED', code: 6 });
      }
      expect(app.grants.filter((grant) => grant.userId === user)).toHaveLength(1);
      expect((await ledgerOf(app, user)).map((row) => row.status)).toEqual(['granted']);
      expect(await statusOf(app, user)).toBe('claimed');
    },
    SLOW,
  );

  test(
    '100 at once against a backend with 50 ms latency → still exactly one grant',
    async () => {
      const granter = createMockGranter({ latencyMs: { min: 50, max: 50 }, record: true });
      await using slow = await createTestApp({ granter });
      const user = newUser();
      await seedCompletedGoal(slow, user);

      const responses = await Promise.all(Array.from({ length: 100 }, () => claim(slow, user)));

      expect(countStatuses(responses)).toEqual({ 200: 1, 409: 99 });
      const messages = responses.filter((r) => r.status === 409).map((r) => r.body.message);
      // Those that arrive while the grant is in flight are told it is being claimed right now.
      expect(messages.some((message) => message.includes('is already being claimed'))).toBe(true);
      expect(granter.grants).toHaveLength(1);
      expect(await statusOf(slow, user)).toBe('claimed');
    },
    SLOW,
  );

  test(
    'claims racing through two app instances on one database (two replicas) grant once',
    async () => {
      const replicaGranter = createMockGranter({ latencyMs: { min: 20, max: 20 }, record: true });
      await using first = await createTestApp({ granter: replicaGranter });
      await using second = await createTestApp({ db: first.db, granter: replicaGranter });
      const user = newUser();
      await seedCompletedGoal(first, user);

      const responses = await Promise.all(
        Array.from({ length: 60 }, (_, i) => claim(i % 2 === 0 ? first : second, user)),
      );

      expect(countStatuses(responses)).toEqual({ 200: 1, 409: 59 });
      expect(replicaGranter.grants).toHaveLength(1);
    },
    SLOW,
  );

  test(
    'slowMockGranter from the harness: 100 at once succeed once',
    async () => {
      await using slow = await createTestApp({ granter: slowMockGranter(50) });
      const user = newUser();
      await seedCompletedGoal(slow, user);

      const responses = await Promise.all(Array.from({ length: 100 }, () => claim(slow, user)));

      expect(countStatuses(responses)).toEqual({ 200: 1, 409: 99 });
      expect((await ledgerOf(slow, user)).map((row) => row.status)).toEqual(['granted']);
    },
    SLOW,
  );
});

describe('while the reward backend works', () => {
  test(
    'a 2 s backend: 50 claims in flight do not slow 50 list calls on a 10-connection pool',
    async () => {
      const GRANT_MS = 2_000;
      const started: GrantRequest[] = [];
      const granter: RewardGranter = {
        mode: 'mock',
        grant: async (request) => {
          started.push(request);
          await Bun.sleep(GRANT_MS);
        },
      };
      await using slow = await createTestApp({ granter, poolSize: 10 });
      const claimers = Array.from({ length: 50 }, (_, i) => `slow-claimer-${i}`);
      const readers = Array.from({ length: 50 }, (_, i) => `slow-reader-${i}`);
      for (const user of claimers) await seedCompletedGoal(slow, user);

      const claimsStarted = performance.now();
      let firstClaimDone = Number.POSITIVE_INFINITY;
      const claims = claimers.map((user) =>
        claim(slow, user).then((response) => {
          firstClaimDone = Math.min(firstClaimDone, performance.now());
          return response;
        }),
      );
      // With no connection held during the grant, all 50 reach the backend at once.
      await until(() => started.length === claimers.length, 1_000);
      const inFlight = started.length;

      const lists = await Promise.all(
        readers.map(async (user) => {
          const t0 = performance.now();
          const response = await slow.request('GET', '/v1/challenges', { user });
          await response.arrayBuffer();
          return { status: response.status, ms: performance.now() - t0 };
        }),
      );
      const listsDone = performance.now();
      const responses = await Promise.all(claims);

      expect(inFlight).toBe(50);
      expect(countStatuses(lists)).toEqual({ 200: 50 });
      for (const list of lists) expect(list.ms).toBeLessThan(1_000);
      expect(listsDone).toBeLessThan(firstClaimDone);
      expect(countStatuses(responses)).toEqual({ 200: 50 });
      expect(performance.now() - claimsStarted).toBeGreaterThanOrEqual(GRANT_MS);
      expect(new Set(started.map((request) => request.userId)).size).toBe(50);
    },
    SLOW,
  );

  test(
    'with a single pool connection, other requests are served while a grant waits',
    async () => {
      const { granter, started, release } = gatedGranter();
      await using tiny = await createTestApp({ granter, poolSize: 1 });
      const user = newUser();
      await seedCompletedGoal(tiny, user);

      const pending = claim(tiny, user);
      await until(() => started.length === 1, 2_000);

      const t0 = performance.now();
      const list = await tiny.request('GET', '/v1/challenges', { user: newUser() });
      const same = await claim(tiny, user);
      const elapsed = performance.now() - t0;
      release();

      expect(started).toHaveLength(1);
      expect(list.status).toBe(200);
      expect(elapsed).toBeLessThan(1_000);
      expect(same.status).toBe(409);
      expect(same.body.message).toContain('is already being claimed');
      expect((await pending).status).toBe(200);
    },
    SLOW,
  );

  test(
    'the progress row is not locked while the grant waits',
    async () => {
      const { granter, started, release } = gatedGranter();
      await using gated = await createTestApp({ granter });
      const user = newUser();
      await seedCompletedGoal(gated, user);

      const pending = claim(gated, user);
      await until(() => started.length === 1, 2_000);

      // NOWAIT fails at once (55P03) if any transaction still holds the row or ledger lock.
      const locked = await gated.db.pool
        .begin(async (tx) => {
          const progress = await tx`select 1 from user_goal_progress
          where user_id = ${user} and goal_id = ${GOAL} for update nowait`;
          const ledger = await tx`select 1 from reward_claims where user_id = ${user} for update nowait`;
          return progress.length + ledger.length;
        })
        .finally(release);

      expect(started).toHaveLength(1);
      expect(locked).toBe(2);
      expect((await pending).status).toBe(200);
      expect(await statusOf(gated, user)).toBe('claimed');
    },
    SLOW,
  );
});

describe('a request that died between grant and commit', () => {
  const goal = app.catalog.goalById.get(GOAL);
  if (!goal) throw new Error(`${GOAL} missing from the test config`);

  /** Reserves the claim as a request would in its first step, with a lease of `leaseMs`. */
  const reserve = (on: TestApp, user: string, leaseMs: number, reward: Reward = goal.reward) =>
    on.db.pool.begin(async (tx) => {
      const key = { userId: user, goalId: GOAL, period: 'once' };
      const [row, entry] = await Promise.all([lockProgressState(tx, user, GOAL), lockClaim(tx, key)]);
      if (!row) throw new Error(`${user} has no row for ${GOAL}`);
      return reserveClaim(tx, key, entry, {
        challengeId: CHALLENGE,
        namespace: TEST_NAMESPACE,
        idempotencyKey: (earning) =>
          claimIdempotencyKey({
            namespace: TEST_NAMESPACE,
            userId: user,
            goalId: GOAL,
            period: 'once',
            earning,
          }),
        reward,
        leaseMs,
        rowId: row.rowId,
        erasedEarning: 0,
      });
    });

  /** A reservation whose request died: its (1 ms) lease has run out by the time anyone looks. */
  const reserveDead = async (on: TestApp, user: string, reward?: Reward) => {
    const dead = await reserve(on, user, 1, reward);
    if (dead.kind !== 'reserved') throw new Error(`expected a reservation, got ${dead.kind}`);
    await Bun.sleep(10);
    return dead;
  };

  test(
    'after its lease ran out, the next claim grants with the SAME idempotency key',
    async () => {
      const user = newUser();
      await seedCompletedGoal(app, user);
      const dead = await reserveDead(app, user);

      const { status } = await claim(app, user);

      expect(status).toBe(200);
      const grants = app.grants.filter((grant) => grant.userId === user);
      expect(grants.map((grant) => grant.idempotencyKey)).toEqual([dead.idempotencyKey]);
      expect(grants[0]?.reward).toEqual(REWARD);
      expect(await ledgerOf(app, user)).toEqual([
        { status: 'granted', idempotency_key: dead.idempotencyKey, lease_until: null },
      ]);
      expect(await statusOf(app, user)).toBe('claimed');

      // The dead request cannot come back and record its grant a second time.
      const late = await app.db.pool.begin((tx) =>
        recordGrant(tx, { userId: user, goalId: GOAL, period: 'once' }, dead.leaseToken, new Date()),
      );
      expect(late).toBe(false);
    },
    SLOW,
  );

  test(
    'the key is taken from the ledger, not recomputed (keys written by an older version are kept)',
    async () => {
      const user = newUser();
      await seedCompletedGoal(app, user);
      await reserveDead(app, user);
      await app.db.pool`update reward_claims set idempotency_key = 'key-written-by-the-dead-request'
      where user_id = ${user}`;

      expect((await claim(app, user)).status).toBe(200);

      expect(
        app.grants.filter((grant) => grant.userId === user).map((grant) => grant.idempotencyKey),
      ).toEqual(['key-written-by-the-dead-request']);
    },
    SLOW,
  );

  test(
    'while its lease is live, a claim gets 409 "being claimed" and no grant is attempted',
    async () => {
      const user = newUser();
      await seedCompletedGoal(app, user);
      const reservedAt = performance.now();
      const live = await reserve(app, user, 500);
      if (live.kind !== 'reserved') throw new Error(`expected a reservation, got ${live.kind}`);

      // Lease decisions use database time: an app clock past the lease does not end it.
      app.setNow(new Date(Date.now() + 61_000));
      const { status, body } = await claim(app, user);
      app.setNow(undefined);

      expect(status).toBe(409);
      expect(body).toMatchObject({ error: 'GOAL_ALREADY_CLAIMED', code: 6 });
      expect(body.message).toContain('is already being claimed');
      expect(app.grants.filter((grant) => grant.userId === user)).toEqual([]);
      expect(await statusOf(app, user)).toBe('completed');

      await Bun.sleep(Math.max(0, reservedAt + 600 - performance.now()));
      expect((await claim(app, user)).status).toBe(200);
      expect(
        app.grants.filter((grant) => grant.userId === user).map((grant) => grant.idempotencyKey),
      ).toEqual([live.idempotencyKey]);
    },
    SLOW,
  );

  test(
    'a process that lost its database right after the grant: the retry repeats the same grant',
    async () => {
      const LEASE_MS = 1_500;
      await using db = await createTestDb();
      const doomedPool = createPool({ url: db.url, maxConnections: 2 });
      await warmUp(doomedPool);
      const keys: string[] = [];
      const crashing: RewardGranter = {
        mode: 'mock',
        grant: async (request) => {
          keys.push(request.idempotencyKey);
          // The grant happened; the final transaction can no longer reach the database.
          await doomedPool.end({ timeout: 0 });
        },
      };
      await using doomed = await createTestApp({
        db: { ...db, pool: doomedPool },
        granter: crashing,
        leaseMs: LEASE_MS,
      });
      const user = newUser();
      await seedCompletedGoal(doomed, user);
      // Only the claim is to be caught by the pool's end, not the activation's notice.
      await doomed.notices.settled();

      const claimedAt = performance.now();
      const crashed = await claim(doomed, user);

      // The database is gone for this process: "unavailable, retry", not an internal error.
      expect(crashed.status).toBe(503);
      expect(crashed.body.error).toBe('UNAVAILABLE');
      await using restarted = await createTestApp({ db });
      expect(await statusOf(restarted, user)).toBe('completed');
      expect((await ledgerOf(restarted, user)).map((row) => row.status)).toEqual(['pending']);

      // Inside the dead request's lease nobody grants; after it, the retry asks for the same grant.
      expect((await claim(restarted, user)).status).toBe(409);
      await Bun.sleep(Math.max(0, claimedAt + LEASE_MS + 100 - performance.now()));
      const retried = await claim(restarted, user);

      expect(retried.status).toBe(200);
      expect(keys).toHaveLength(1);
      expect(restarted.grants.map((grant) => grant.idempotencyKey)).toEqual(keys);
      expect(await statusOf(restarted, user)).toBe('claimed');
      expect((await ledgerOf(restarted, user)).map((row) => row.status)).toEqual(['granted']);
    },
    SLOW,
  );

  test(
    'the retry grants the reward that was reserved, not the one configured now',
    async () => {
      const user = newUser();
      await seedCompletedGoal(app, user);
      const reserved: Reward = { type: 'ITEM', rewardId: 'retired_banner', quantity: 3 };
      expect(reserved).not.toEqual(goal.reward);
      const dead = await reserveDead(app, user, reserved);

      const retried = await app.json<{ reward: Reward }>('POST', claimPath(), { user });

      expect(retried.status).toBe(200);
      expect(retried.body.reward).toEqual(reserved);
      const grants = app.grants.filter((grant) => grant.userId === user);
      expect(grants.map((grant) => [grant.reward, grant.idempotencyKey])).toEqual([
        [reserved, dead.idempotencyKey],
      ]);
      const [ledger] = await app.db.pool<{ reward: Reward }[]>`select reward from reward_claims
        where user_id = ${user}`;
      expect(ledger?.reward).toEqual(reserved);
    },
    SLOW,
  );

  test(
    'a grant recorded in the ledger whose row was left completed: 409, the row is repaired, no new grant',
    async () => {
      const user = newUser();
      await seedCompletedGoal(app, user);
      expect((await claim(app, user)).status).toBe(200);
      const now = new Date();
      await writeProgressState(app.db.pool, {
        userId: user,
        goalId: GOAL,
        progress: 5,
        status: 'completed',
        completedAt: now,
        now,
      });

      const { status, body } = await claim(app, user);

      expect(status).toBe(409);
      expect(body.error).toBe('GOAL_ALREADY_CLAIMED');
      expect(body.message).toContain('has already been claimed');
      expect(app.grants.filter((grant) => grant.userId === user)).toHaveLength(1);
      expect(await statusOf(app, user)).toBe('claimed');
    },
    SLOW,
  );
});
