/**
 * Claims of rotating goals across periods, the ledger following its progress row, and one rotating
 * row changed at once by an event flush, the /initialize catch-up and a claim across a boundary.
 * Events go through `applyEventBatch` at the instants the tests name; HTTP through `app.handle`.
 */
import { afterAll, expect, test } from 'bun:test';
import { applyEventBatch } from '../../src/pipeline/apply-events.ts';
import type { PipelineEvent } from '../../src/pipeline/pipeline-event.ts';
import { heldGranter, until } from '../helpers/held-granter.ts';
import { statEvent } from '../helpers/pipeline-events.ts';
import { createTestApp, TEST_NAMESPACE, type TestApp } from '../helpers/test-app.ts';
import { createTestDb } from '../helpers/test-db.ts';

const CONFIG = 'tests/fixtures/original-current-challenges.json';
const C = 'rotation-daily';
const G = 'daily-challenges-goal-01';
const D1 = '2030-03-05';
const D2 = '2030-03-06';

const db = await createTestDb({ maxConnections: 20 });
afterAll(() => db.drop());
const app = await createTestApp({ configPath: CONFIG, db });

const statOf =
  (statCode: string) =>
  (userId: string, value: number, inc: number, at: Date): PipelineEvent =>
    statEvent(userId, statCode, value, { inc, at });
const kills = statOf('kills');
const wins = statOf('wins');
const apply = (target: TestApp, event: PipelineEvent) =>
  applyEventBatch(db.pool, target.catalog, [event], new Date(event.occurredAt));

const at = (target: TestApp, iso: string) => {
  const instant = new Date(iso);
  target.setNow(instant);
  return instant;
};
const claim = (target: TestApp, user: string, goalId = G, challengeId = C) =>
  target.json<{ error?: string }>('POST', `/v1/challenges/${challengeId}/goals/${goalId}/claim`, { user });
const initialize = (target: TestApp, user: string) =>
  target.json<{ assignedGoals: { goalId: string; progress: number; status: string }[] }>(
    'POST',
    '/v1/challenges/initialize',
    { user },
  );

async function ledger(user: string, goalId = G) {
  const rows = await db.pool<{ period: string; status: string; idempotency_key: string }[]>`
    select period, status, idempotency_key from reward_claims
    where user_id = ${user} and goal_id = ${goalId} order by period`;
  return [...rows];
}
async function stored(user: string, goalId = G) {
  const rows = await db.pool<
    { progress: number; status: string; baseline_value: number | null; period_start: string | null }[]
  >`select progress, status, baseline_value, period_start::text as period_start
    from user_goal_progress where user_id = ${user} and goal_id = ${goalId}`;
  return rows[0];
}

test('a reselectable goal is earned and claimed at most once per period, one ledger row per period', async () => {
  const user = 'per-period';
  let now = at(app, `${D1}T09:00:00Z`);
  await initialize(app, user);
  await apply(app, kills(user, 100, 10, now));
  expect((await claim(app, user)).status).toBe(200);
  expect(await claim(app, user)).toMatchObject({ status: 409, body: { error: 'GOAL_ALREADY_CLAIMED' } });
  // More events the same day leave the claimed goal alone: nothing to earn again this period.
  now = at(app, `${D1}T12:00:00Z`);
  await apply(app, kills(user, 150, 50, now));
  expect((await stored(user))?.status).toBe('claimed');
  expect(await claim(app, user)).toMatchObject({ status: 409 });

  now = at(app, `${D2}T09:00:00Z`);
  expect(await claim(app, user)).toMatchObject({ status: 400, body: { error: 'GOAL_NOT_COMPLETED' } });
  await apply(app, kills(user, 170, 20, now));
  expect((await claim(app, user)).status).toBe(200);
  expect(await claim(app, user)).toMatchObject({ status: 409 });

  const keyOf = (day: string) => `${TEST_NAMESPACE}:${user}:${G}:${day}`;
  expect(await ledger(user)).toEqual([
    { period: D1, status: 'granted', idempotency_key: keyOf(D1) },
    { period: D2, status: 'granted', idempotency_key: keyOf(D2) },
  ]);
  expect(app.grants.filter((g) => g.userId === user).map((g) => g.idempotencyKey)).toEqual([
    keyOf(D1),
    keyOf(D2),
  ]);
});

test("a claim whose grant straddles the boundary never claims the new period's completion", async () => {
  const held = heldGranter();
  await using straddle = await createTestApp({ configPath: CONFIG, db, granter: held.granter });
  const user = 'straddle';
  let now = at(straddle, `${D1}T23:59:00Z`);
  await initialize(straddle, user);
  await apply(straddle, kills(user, 100, 10, now));
  const first = claim(straddle, user);
  await until(() => held.calls.length === 1, 2_000);

  // While the D1 grant is held: the clock passes 00:00 and an event completes the goal for D2.
  now = at(straddle, `${D2}T00:01:00Z`);
  await apply(straddle, kills(user, 115, 15, now));
  expect(await stored(user)).toMatchObject({ status: 'completed', period_start: D2, baseline_value: 100 });
  held.release(0);
  expect((await first).status).toBe(200);
  // The D1 claim recorded its grant but left the D2 completion claimable.
  expect(await stored(user)).toMatchObject({ status: 'completed', period_start: D2 });
  expect((await ledger(user)).map((entry) => entry.period)).toEqual([D1]);

  held.release(1);
  expect((await claim(straddle, user)).status).toBe(200);
  expect(await stored(user)).toMatchObject({ status: 'claimed', period_start: D2 });
  expect(held.calls.map((call) => call.idempotencyKey)).toEqual([
    `${TEST_NAMESPACE}:${user}:${G}:${D1}`,
    `${TEST_NAMESPACE}:${user}:${G}:${D2}`,
  ]);
  held.done();
});

test('a goal claimable once ever, claimed across the boundary that starts it over, stays claimed', async () => {
  const held = heldGranter();
  await using once = await createTestApp({
    configPath: 'config/challenges.rotation.json',
    db,
    granter: held.granter,
  });
  const [challenge, goal] = ['daily-bounties', 'daily-first-win'];
  const user = 'straddle-once';
  const goalPath = `/v1/challenges/${challenge}/goals/${goal}`;
  let now = at(once, `${D1}T23:58:00Z`);
  await once.request('PUT', `${goalPath}/active`, { user, body: { isActive: true } });
  await apply(once, wins(user, 1, 1, now));
  await apply(once, wins(user, 2, 1, new Date(now.getTime() + 1_000)));
  const earned = await stored(user, goal);
  expect(earned).toMatchObject({ status: 'completed', period_start: D1 });
  const claimed = claim(once, user, goal, challenge);
  await until(() => held.calls.length === 1, 2_000);
  // While the grant is held the day ends; /initialize starts the unclaimed goal over for D2.
  now = at(once, `${D2}T00:00:01Z`);
  expect((await once.request('POST', '/v1/challenges/initialize', { user })).status).toBe(200);
  expect(await stored(user, goal)).toMatchObject({ status: 'not_started', period_start: D2 });
  held.release(0);
  expect((await claimed).status).toBe(200);
  // Claimed first, it would have stayed claimed through the new period: so it is, in the list too.
  expect(await stored(user, goal)).toMatchObject({
    status: 'claimed',
    progress: earned?.progress,
    baseline_value: earned?.baseline_value,
  });
  const list = await once.json<{ goals: { goalId: string; status: string }[] }>(
    'GET',
    `/v1/challenges/${challenge}`,
    {
      user,
    },
  );
  expect(list.body.goals.find((entry) => entry.goalId === goal)?.status).toBe('claimed');
  const again = await claim(once, user, goal, challenge);
  expect(again.body.error).toBe('GOAL_ALREADY_CLAIMED');
  expect(held.calls).toHaveLength(1);
  held.done();
});

test('a goal whose schedule becomes longer keeps counting events in the period it is in, and is claimed', async () => {
  await using longer = await createTestApp({ configPath: CONFIG, db });
  const user = 'daily-to-weekly';
  // Wednesday: the row's period is the day.
  let now = at(longer, `${D2}T10:00:00Z`);
  await initialize(longer, user);
  await apply(longer, kills(user, 100, 2, now));
  expect(await stored(user)).toMatchObject({ period_start: D2, status: 'in_progress' });
  // The operator makes the goal weekly: its periods start on Mondays, before the row's day.
  const document = JSON.parse(await Bun.file(CONFIG).text());
  const goal = document.challenges
    .find((challenge: { challengeId: string }) => challenge.challengeId === C)
    .goals.find((entry: { goalId: string }) => entry.goalId === G);
  goal.rotation.schedule = 'weekly';
  expect((await longer.request('PUT', '/v1/admin/config', { admin: 'ops', body: document })).status).toBe(
    200,
  );
  // Thursday, same week: the event counts, and completes the goal.
  now = at(longer, '2030-03-07T12:00:00Z');
  await apply(longer, kills(user, 109, 9, now));
  expect(await stored(user)).toMatchObject({ status: 'completed' });
  expect((await claim(longer, user)).status).toBe(200);
  expect(await stored(user)).toMatchObject({ status: 'claimed', period_start: '2030-03-04' });
  expect((await ledger(user)).map((entry) => entry.period)).toEqual(['2030-03-04']);
  // The claimed row expires with the period it was stamped with, so the cleanup keeps it until then.
  const [row] = await db.pool<{ expires_at: Date }[]>`
    select expires_at from user_goal_progress where user_id = ${user} and goal_id = ${G}`;
  expect(row?.expires_at.toISOString()).toBe('2030-03-11T00:00:00.000Z');
});

test("a relative goal's first event with an increment past any progress is applied, not refused", async () => {
  const user = 'huge-increment';
  const now = at(app, `${D1}T12:00:00Z`);
  await initialize(app, user);
  // A currency-like stat: value and increment past the 32-bit range the baseline is stored in.
  const result = await apply(app, kills(user, 5e9, 5e9, now));
  expect(result.appliedByKind.statistic).toBe(1);
  expect(await stored(user)).toMatchObject({ status: 'completed', baseline_value: -2_147_483_648 });
});

test('a deleted claimed row earned again can be claimed again, once, under a new idempotency key', async () => {
  const user = 'ledger-row';
  const goalId = 'daily-wins-no-reselect';
  const now = at(app, `${D1}T10:00:00Z`);
  await initialize(app, user);
  await apply(app, wins(user, 3, 3, now));
  expect((await claim(app, user, goalId)).status).toBe(200);
  expect(await ledger(user, goalId)).toHaveLength(1);

  await db.pool`delete from user_goal_progress where user_id = ${user} and goal_id = ${goalId}`;
  expect(await claim(app, user, goalId)).toMatchObject({ status: 400, body: { error: 'GOAL_NOT_ACTIVE' } });

  await initialize(app, user);
  expect(await claim(app, user, goalId)).toMatchObject({
    status: 400,
    body: { error: 'GOAL_NOT_COMPLETED' },
  });
  await apply(app, wins(user, 6, 3, now));
  expect((await claim(app, user, goalId)).status).toBe(200);
  expect(await claim(app, user, goalId)).toMatchObject({ status: 409 });
  const grants = app.grants.filter((g) => g.userId === user && g.goalId === goalId);
  expect(grants).toHaveLength(2);
  // A backend that de-duplicates by key must see the second earning as a new grant.
  expect(grants[1]?.idempotencyKey).toBe(`${grants[0]?.idempotencyKey}:2`);
  expect(await ledger(user, goalId)).toHaveLength(1);
});

test('/initialize stores exactly the rows whose period changed, as the domain rolls them over', async () => {
  const user = 'catch-up';
  let now = at(app, `${D1}T10:00:00Z`);
  await initialize(app, user);
  await apply(app, kills(user, 100, 10, now)); // daily goal-01 completed, weekly and monthly in progress
  await apply(app, wins(user, 10, 5, now)); // weekly-wins-no-reset completed, daily wins goals completed
  expect((await claim(app, user, 'daily-wins-no-reselect')).status).toBe(200);
  const version = async (goalId: string) =>
    (
      await db.pool<{ v: string }[]>`select xmin::text as v from user_goal_progress
        where user_id = ${user} and goal_id = ${goalId}`
    )[0]?.v;
  const untouched = ['daily-wins-no-reselect', 'weekly-challenges-goal-01', 'monthly-kills-goal'];
  const before = await Promise.all(untouched.map(version));

  now = at(app, '2030-03-11T10:00:00Z'); // the next Monday: new day and new week, same month
  const response = await initialize(app, user);
  const shown = new Map(response.body.assignedGoals.map((g) => [g.goalId, g]));
  expect(shown.get(G)).toMatchObject({ progress: 0, status: 'not_started' });
  expect(shown.get('daily-wins-no-reselect')).toMatchObject({ status: 'claimed' });
  expect(shown.get('weekly-wins-no-reset')).toMatchObject({ progress: 5, status: 'completed' });
  expect(shown.get('weekly-challenges-goal-01')).toMatchObject({ progress: 0, status: 'not_started' });

  expect(await stored(user)).toMatchObject({
    status: 'not_started',
    baseline_value: null,
    period_start: '2030-03-11',
  });
  // Carried over: same progress, baseline and completion, in the new period.
  expect(await stored(user, 'weekly-wins-no-reset')).toMatchObject({
    status: 'completed',
    baseline_value: 5,
    period_start: '2030-03-11',
  });
  expect(await stored(user, 'weekly-challenges-goal-01')).toMatchObject({
    baseline_value: null,
    period_start: '2030-03-11',
  });
  // A claimed goal that is not reselectable stays as it is; the monthly period has not changed.
  const after = await Promise.all(untouched.map(version));
  expect(after[0]).toBe(before[0]);
  expect(after[2]).toBe(before[2]);
  expect(after[1]).not.toBe(before[1]);
  expect((await claim(app, user, 'weekly-wins-no-reset', 'weekly-challenges')).status).toBe(200);
});

test('event flush, /initialize catch-up and a claim at once on one rotating row across a boundary', async () => {
  for (let round = 0; round < 40; round++) {
    const user = `race-${round}`;
    let now = at(app, `${D1}T22:00:00Z`);
    await initialize(app, user);
    await apply(app, kills(user, 100, 10, now));
    expect((await claim(app, user)).status).toBe(200);

    now = at(app, `${D2}T00:00:05Z`);
    const [flushed, initialized, claimed] = await Promise.allSettled([
      apply(app, kills(user, 120, 20, now)),
      initialize(app, user),
      claim(app, user),
    ]);
    expect(flushed.status).toBe('fulfilled');
    expect(initialized.status).toBe('fulfilled');
    if (initialized.status === 'fulfilled') {
      const goal = initialized.value.body.assignedGoals.find((g) => g.goalId === G);
      // Never the last period's state (10 / claimed): the new period before or after the event.
      expect([0, 20]).toContain(goal?.progress ?? -1);
    }
    expect(claimed.status).toBe('fulfilled');
    const claimStatus = claimed.status === 'fulfilled' ? claimed.value.status : 0;
    expect([200, 400]).toContain(claimStatus);

    // The event's progress survives whatever ran with it.
    const row = await stored(user);
    expect(row).toMatchObject({ progress: 120, baseline_value: 100, period_start: D2 });
    expect(row?.status).toBe(claimStatus === 200 ? 'claimed' : 'completed');
    const periods = (await ledger(user)).map((entry) => entry.period);
    expect(periods).toEqual(claimStatus === 200 ? [D1, D2] : [D1]);
    const keys = app.grants.filter((g) => g.userId === user).map((g) => g.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(periods.length);
  }
}, 60_000);
