/**
 * Claims whose lease runs out while the grant is still in flight (a slow backend, a stalled
 * record step): the request that took the lease over and the late one must not both answer 200,
 * and the ledger decides who owns a reservation by database time, whatever the app clocks say.
 */
import { describe, expect, test } from 'bun:test';
import { writeProgressState } from '../../src/db/progress-rows.ts';
import { heldGranter, until } from '../helpers/held-granter.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

interface ErrorJson {
  readonly error: string;
  readonly code: number;
  readonly message: string;
}

const CHALLENGE = 'starter-challenge';
const GOAL = 'play-5-matches';
const LEASE_MS = 250;
/** Waiting this long after a reservation is certain to outlast its lease. */
const PAST_LEASE_MS = LEASE_MS + 100;
const SLOW = 15_000;

let users = 0;
const newUser = () => `lease-user-${++users}`;

const claim = (on: TestApp, user: string) =>
  on.json<ErrorJson>('POST', `/v1/challenges/${CHALLENGE}/goals/${GOAL}/claim`, { user });

async function seedCompletedGoal(on: TestApp, user: string) {
  const activated = await on.request('PUT', `/v1/challenges/${CHALLENGE}/goals/${GOAL}/active`, {
    user,
    body: { isActive: true },
  });
  expect(activated.status).toBe(200);
  const at = new Date('2026-02-01T12:00:00Z');
  await writeProgressState(on.db.pool, {
    userId: user,
    goalId: GOAL,
    progress: 5,
    status: 'completed',
    completedAt: at,
    now: at,
  });
}

const ledgerOf = async (on: TestApp, user: string) => [
  ...(await on.db.pool<{ status: string; idempotency_key: string }[]>`
    select status, idempotency_key from reward_claims where user_id = ${user}`),
];

const rowStatus = async (on: TestApp, user: string) =>
  (
    await on.db.pool<{ status: string }[]>`
      select status from user_goal_progress where user_id = ${user} and goal_id = ${GOAL}`
  )[0]?.status;

/**
 * An app whose grants the test releases by hand, with a claim of a completed goal already waiting
 * in its first grant call. Disposing it drops the app's database.
 */
async function claimWaitingInGrant(leaseMs: number) {
  const held = heldGranter();
  const on = await createTestApp({ granter: held.granter, leaseMs });
  const user = newUser();
  await seedCompletedGoal(on, user);
  const first = claim(on, user);
  await until(() => held.calls.length === 1, 2_000);
  return { held, on, user, first, [Symbol.asyncDispose]: () => on.close() };
}

describe('a grant that outlasts its lease', () => {
  test(
    'the retry that took the lease over records first: it answers 200, the late request 409',
    async () => {
      await using setup = await claimWaitingInGrant(LEASE_MS);
      const { held, on, user, first: late } = setup;
      await Bun.sleep(PAST_LEASE_MS);
      held.release(1);
      const retry = await claim(on, user);
      held.release(0);
      const lateResponse = await late;
      held.done();

      expect(retry.status).toBe(200);
      expect(lateResponse.status).toBe(409);
      expect(lateResponse.body).toMatchObject({ error: 'GOAL_ALREADY_CLAIMED', code: 6 });
      expect(lateResponse.body.message).toContain('has already been claimed');
      expect(held.calls).toHaveLength(2);
      expect(held.calls[1]?.idempotencyKey).toBe(held.calls[0]?.idempotencyKey ?? '');
      expect(await ledgerOf(on, user)).toEqual([
        { status: 'granted', idempotency_key: held.calls[0]?.idempotencyKey ?? '' },
      ]);
      expect(await rowStatus(on, user)).toBe('claimed');
    },
    SLOW,
  );

  test(
    'the late request finishes while the retry is still granting: 409 "being claimed", then the retry answers 200',
    async () => {
      await using setup = await claimWaitingInGrant(LEASE_MS);
      const { held, on, user, first: late } = setup;
      await Bun.sleep(PAST_LEASE_MS);
      const retry = claim(on, user);
      await until(() => held.calls.length === 2, 2_000);
      held.release(0);
      const lateResponse = await late;
      const ledgerBetween = await ledgerOf(on, user);
      const rowBetween = await rowStatus(on, user);
      held.release(1);
      const retryResponse = await retry;
      held.done();

      expect(lateResponse.status).toBe(409);
      expect(lateResponse.body).toMatchObject({ error: 'GOAL_ALREADY_CLAIMED', code: 6 });
      expect(lateResponse.body.message).toContain('is already being claimed');
      // The late request rolled back: it marked nothing and left the reservation to the retry.
      expect(ledgerBetween.map((row) => row.status)).toEqual(['pending']);
      expect(rowBetween).toBe('completed');
      expect(retryResponse.status).toBe(200);
      expect(held.calls).toHaveLength(2);
      expect(held.calls[1]?.idempotencyKey).toBe(held.calls[0]?.idempotencyKey ?? '');
      expect((await ledgerOf(on, user)).map((row) => row.status)).toEqual(['granted']);
      expect(await rowStatus(on, user)).toBe('claimed');
    },
    SLOW,
  );
});

describe('lease time is database time', () => {
  test(
    'a replica whose clock runs an hour ahead still sees a live lease as live',
    async () => {
      await using setup = await claimWaitingInGrant(60_000);
      const { held, on: first, user, first: pending } = setup;
      await using ahead = await createTestApp({ db: first.db, leaseMs: 60_000 });
      ahead.setNow(new Date(Date.now() + 3_600_000));
      const racing = await claim(ahead, user);
      held.release(0);
      const owner = await pending;
      held.done();

      expect(racing.status).toBe(409);
      expect(racing.body.message).toContain('is already being claimed');
      expect(ahead.grants).toEqual([]);
      expect(owner.status).toBe(200);
    },
    SLOW,
  );

  test(
    'a replica whose clock runs an hour behind takes over a lease that ran out',
    async () => {
      await using setup = await claimWaitingInGrant(LEASE_MS);
      const { held, on: first, user, first: late } = setup;
      await using behind = await createTestApp({ db: first.db, leaseMs: LEASE_MS });
      behind.setNow(new Date(Date.now() - 3_600_000));
      await Bun.sleep(PAST_LEASE_MS);
      const retry = await claim(behind, user);
      held.release(0);
      const lateResponse = await late;
      held.done();

      expect(retry.status).toBe(200);
      expect(behind.grants.map((grant) => grant.idempotencyKey)).toEqual([
        held.calls[0]?.idempotencyKey ?? '',
      ]);
      expect(lateResponse.status).toBe(409);
    },
    SLOW,
  );

  test(
    'a new lease ends leaseMs after database time, whatever the app clock says',
    async () => {
      const held = heldGranter();
      await using on = await createTestApp({ granter: held.granter, leaseMs: 60_000 });
      on.setNow(new Date('2020-01-01T00:00:00Z'));
      const user = newUser();
      await seedCompletedGoal(on, user);

      const pending = claim(on, user);
      await until(() => held.calls.length === 1, 2_000);
      const [lease] = await on.db.pool<{ remaining_ms: number }[]>`
        select (extract(epoch from lease_until - clock_timestamp()) * 1000)::float8 as remaining_ms
        from reward_claims where user_id = ${user}`;
      held.release(0);
      expect((await pending).status).toBe(200);
      held.done();

      expect(lease?.remaining_ms).toBeGreaterThan(55_000);
      expect(lease?.remaining_ms).toBeLessThanOrEqual(60_000);
    },
    SLOW,
  );
});
