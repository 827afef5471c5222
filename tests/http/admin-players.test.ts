/**
 * The admin player routes at work: the view with stored fields, the audit trail, set / complete /
 * reset with what a later event and a claim do next, claims on a player's behalf (exactly once),
 * and erasure. Every change's audit entry names the admin and shows from → to.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import type { Static } from '@sinclair/typebox';
import type {
  AdminChallengesResponse,
  AdminEventsResponse,
  GoalChangeResponse,
} from '../../src/http/schemas.ts';
import { createLogger } from '../../src/log.ts';
import { applyEventBatch } from '../../src/pipeline/apply-events.ts';
import type { PipelineEvent } from '../../src/pipeline/pipeline-event.ts';
import type { ErrorBody } from '../helpers/api-json.ts';
import { heldGranter, until } from '../helpers/held-granter.ts';
import { statEvent } from '../helpers/pipeline-events.ts';
import { createTestApp, slowMockGranter } from '../helpers/test-app.ts';

type Change = Static<typeof GoalChangeResponse>;
type Events = Static<typeof AdminEventsResponse>;
type Challenges = Static<typeof AdminChallengesResponse>;

const logLines: string[] = [];
const app = await createTestApp({
  auth: 'dev',
  logger: createLogger('info', { write: (line: string) => void logLines.push(line) }),
});
afterAll(() => app.close());
const sql = app.db.pool;
const ADMIN = 'support-sam';

let users = 0;
const newUser = () => `admin-target-${++users}`;
const stat = (userId: string, statCode: string, value: number) =>
  statEvent(userId, statCode, value, { inc: 1 });
const apply = (...events: PipelineEvent[]) => applyEventBatch(sql, app.catalog, events, new Date());

const goalPath = (user: string, goalId: string, what: string) =>
  `/v1/admin/users/${user}/goals/${goalId}/${what}`;
const setProgress = (user: string, goalId: string, progress: unknown) =>
  app.json<Change & ErrorBody>('PUT', goalPath(user, goalId, 'progress'), {
    admin: ADMIN,
    body: { progress },
  });
const post = (user: string, goalId: string, what: 'reset' | 'complete' | 'claim', admin = ADMIN) =>
  app.json<Change & ErrorBody>('POST', goalPath(user, goalId, what), { admin });
const events = (user: string, query = '') =>
  app.json<Events>('GET', `/v1/admin/users/${user}/events${query}`, { admin: ADMIN });
const playerClaim = (user: string, challengeId: string, goalId: string) =>
  app.json<ErrorBody>('POST', `/v1/challenges/${challengeId}/goals/${goalId}/claim`, { user });
const latestAdminEntry = async (user: string) =>
  (await events(user)).body.entries.find((entry) => entry.kind === 'admin');

describe('GET /v1/admin/users/{userId}/challenges', () => {
  test("the player's own view of every goal, with the stored row beside it", async () => {
    const user = newUser();
    await app.request('POST', '/v1/challenges/initialize', { user });
    await apply(stat(user, 'enemy_kills', 4));
    const { status, body } = await app.json<Challenges>('GET', `/v1/admin/users/${user}/challenges`, {
      admin: ADMIN,
    });
    expect(status).toBe(200);
    const own = await app.json<{ challenges: Challenges['challenges'] }>('GET', '/v1/challenges', { user });
    const withoutStored = body.challenges.map((challenge) => ({
      ...challenge,
      goals: challenge.goals.map(({ stored: _stored, ...goal }) => goal),
    }));
    expect(withoutStored).toEqual(own.body.challenges);
    const goals = body.challenges.flatMap((challenge) => challenge.goals);
    const kills = goals.find((goal) => goal.goalId === 'defeat-10-enemies');
    expect(kills?.stored).toMatchObject({
      progress: 4,
      status: 'in_progress',
      isActive: true,
      baselineValue: null,
      progressDay: '',
      periodStart: '',
    });
    expect(kills?.stored?.lastEventAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(kills?.stored?.updatedAt).not.toBe('');
    expect(goals.find((goal) => goal.goalId === 'play-5-matches')?.stored).toBeNull();
    expect(body.userId).toBe(user);
    expect(body.unconfiguredRows).toEqual([]);
  });

  test('rows of goals the configuration does not have are listed apart; the read is audited', async () => {
    const user = newUser();
    await sql`insert into user_goal_progress (user_id, goal_id, challenge_id, namespace, progress, status)
      values (${user}, 'retired-goal', 'old-challenge', 'test-namespace', 3, 'in_progress')`;
    const { body } = await app.json<Challenges>('GET', `/v1/admin/users/${user}/challenges`, {
      admin: ADMIN,
    });
    expect(body.unconfiguredRows).toEqual([
      expect.objectContaining({
        challengeId: 'old-challenge',
        goalId: 'retired-goal',
        stored: expect.objectContaining({ progress: 3 }),
      }),
    ]);
    expect(await latestAdminEntry(user)).toMatchObject({
      action: 'view_challenges',
      adminUserId: ADMIN,
      goals: [],
    });
  });
});

describe('GET /v1/admin/users/{userId}/events', () => {
  test('newest first, filtered by goal and limited; the read itself is recorded after it', async () => {
    const user = newUser();
    await app.request('POST', '/v1/challenges/initialize', { user });
    await apply(stat(user, 'enemy_kills', 2));
    await apply(stat(user, 'tutorial_completed', 1));
    await apply(stat(user, 'enemy_kills', 5));
    const all = await events(user);
    expect(all.status).toBe(200);
    expect(all.body.entries.map((entry) => entry.value)).toEqual([5, 1, 2]);
    const kills = await events(user, '?goalId=defeat-10-enemies&limit=1');
    expect(kills.body.entries).toHaveLength(1);
    expect(kills.body.entries[0]?.goals).toEqual([
      {
        goalId: 'defeat-10-enemies',
        result: 'changed',
        from: { progress: 2, status: 'in_progress' },
        to: { progress: 5, status: 'in_progress' },
      },
    ]);
    // A goal the configuration does not have (removed, or a typo) answers too: nothing implies it.
    const unknown = await events(user, '?goalId=retired-goal');
    expect(unknown.status).toBe(200);
    expect(unknown.body.entries).toEqual([]);
    const again = await events(user, '?limit=3');
    expect(again.body.entries.map((entry) => entry.action ?? entry.kind)).toEqual([
      'view_events',
      'view_events',
      'view_events',
    ]);
    expect(again.body.entries[0]?.adminUserId).toBe(ADMIN);
  });

  test('a bad limit or user id is 400', async () => {
    for (const limit of ['0', '1001', 'ten', '-1', '1.5'])
      expect((await events('someone', `?limit=${limit}`)).status).toBe(400);
    const long = 'u'.repeat(101);
    expect((await app.request('GET', `/v1/admin/users/${long}/events`, { admin: ADMIN })).status).toBe(400);
  });
});

describe('set progress, complete, reset', () => {
  test('set progress: the status follows, the audit names the admin with from → to, the next event builds on it', async () => {
    const user = newUser();
    await app.request('POST', '/v1/challenges/initialize', { user });
    await apply(stat(user, 'enemy_kills', 2));
    const set = await setProgress(user, 'defeat-10-enemies', 10);
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      userId: user,
      challengeId: 'starter-challenge',
      goalId: 'defeat-10-enemies',
      action: 'set_progress',
      progress: 10,
      status: 'completed',
      effect: {
        goalId: 'defeat-10-enemies',
        result: 'changed',
        from: { progress: 2, status: 'in_progress' },
        to: { progress: 10, status: 'completed' },
      },
    });
    expect(set.body.completedAt).not.toBe('');
    expect(await latestAdminEntry(user)).toEqual({
      kind: 'admin',
      recordedAt: expect.any(String),
      action: 'set_progress',
      adminUserId: ADMIN,
      goals: [set.body.effect],
    });
    // Under the target un-completes it; an absolute goal then follows the stat again.
    expect((await setProgress(user, 'defeat-10-enemies', 3)).body.status).toBe('in_progress');
    await apply(stat(user, 'enemy_kills', 7));
    expect((await setProgress(user, 'defeat-10-enemies', 7)).body.effect).toEqual({
      goalId: 'defeat-10-enemies',
      result: 'unchanged',
      reason: 'value_unchanged',
    });
    // An increment goal counts on from the value set.
    await app.request('PUT', '/v1/challenges/starter-challenge/goals/play-5-matches/active', {
      user,
      body: { isActive: true },
    });
    await setProgress(user, 'play-5-matches', 4);
    await apply(stat(user, 'matches_played', 1));
    const view = await app.json<Challenges>('GET', `/v1/admin/users/${user}/challenges`, { admin: ADMIN });
    const matches = view.body.challenges
      .flatMap((c) => c.goals)
      .find((goal) => goal.goalId === 'play-5-matches');
    expect(matches).toMatchObject({ progress: 5, status: 'completed' });
  });

  test('a body that is not a whole number in range is 400; an unknown goal is 404', async () => {
    const user = newUser();
    for (const progress of [-1, 1.5, '3', 2_147_483_648, null])
      expect((await setProgress(user, 'defeat-10-enemies', progress)).status).toBe(400);
    const missing = await app.json<ErrorBody>('PUT', goalPath(user, 'defeat-10-enemies', 'progress'), {
      admin: ADMIN,
      body: {},
    });
    expect(missing.status).toBe(400);
    const unknown = await setProgress(user, 'no-such-goal', 1);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('GOAL_NOT_FOUND');
    expect((await post(user, 'no-such-goal', 'reset')).status).toBe(404);
  });

  test('a goal the player has no row for is assigned by set and complete; reset leaves it unassigned', async () => {
    const user = newUser();
    const reset = await post(user, 'play-5-matches', 'reset');
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({
      effect: { goalId: 'play-5-matches', result: 'unchanged', reason: 'goal_not_assigned' },
      isActive: false,
      stored: null,
    });
    const completed = await post(user, 'play-5-matches', 'complete');
    expect(completed.body).toMatchObject({
      progress: 5,
      status: 'completed',
      isActive: true,
      effect: { from: { progress: 0, status: 'not_started' }, to: { progress: 5, status: 'completed' } },
    });
    expect(completed.body.stored?.assignedAt).not.toBe('');
    expect((await post(user, 'play-5-matches', 'complete')).body.effect).toEqual({
      goalId: 'play-5-matches',
      result: 'unchanged',
      reason: 'already_completed',
    });
    // The player can claim what the admin completed.
    expect((await playerClaim(user, 'starter-challenge', 'play-5-matches')).status).toBe(200);
  });

  test('a claimed goal: set and complete are 409; reset, re-earn and claim grants once more, exactly once', async () => {
    const user = newUser();
    await app.request('POST', '/v1/challenges/initialize', { user });
    await apply(stat(user, 'tutorial_completed', 1));
    expect((await playerClaim(user, 'progression', 'tutorial')).status).toBe(200);
    const refused = await setProgress(user, 'tutorial', 0);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('GOAL_ALREADY_CLAIMED');
    expect((await post(user, 'tutorial', 'complete')).status).toBe(409);

    const reset = await post(user, 'tutorial', 'reset');
    expect(reset.body).toMatchObject({
      status: 'not_started',
      progress: 0,
      claimedAt: '',
      effect: { from: { progress: 1, status: 'claimed' }, to: { progress: 0, status: 'not_started' } },
    });
    // Not earned again yet: not claimable.
    expect((await playerClaim(user, 'progression', 'tutorial')).body.error).toBe('GOAL_NOT_COMPLETED');
    await apply(stat(user, 'tutorial_completed', 1));
    const before = app.grants.length;
    expect((await playerClaim(user, 'progression', 'tutorial')).status).toBe(200);
    expect((await playerClaim(user, 'progression', 'tutorial')).status).toBe(409);
    const grants = app.grants.slice(before).filter((grant) => grant.userId === user);
    expect(grants).toHaveLength(1);
    expect(grants[0]?.idempotencyKey).toBe(`test-namespace:${user}:tutorial:once:2`);
  });
});

describe('an admin and a claim at once', () => {
  test('progress an admin sets while a claim of the goal waits for its grant stands: the goal is not marked claimed', async () => {
    const held = heldGranter();
    await using waiting = await createTestApp({ db: app.db, granter: held.granter });
    const user = newUser();
    await waiting.request('POST', '/v1/challenges/initialize', { user });
    await applyEventBatch(sql, waiting.catalog, [stat(user, 'enemy_kills', 10)], new Date());
    const claim = waiting.json('POST', '/v1/challenges/starter-challenge/goals/defeat-10-enemies/claim', {
      user,
    });
    await until(() => held.calls.length === 1, 2_000);
    const set = await waiting.json<Change>('PUT', goalPath(user, 'defeat-10-enemies', 'progress'), {
      admin: ADMIN,
      body: { progress: 2 },
    });
    expect(set.status).toBe(200);
    held.release(0);
    expect((await claim).status).toBe(200);
    const [row] = await sql<{ status: string; progress: number }[]>`
      select status, progress from user_goal_progress where user_id = ${user} and goal_id = 'defeat-10-enemies'`;
    expect(row).toEqual({ status: 'in_progress', progress: 2 });
    held.done();
  });
});

describe('POST …/claim on behalf of a player', () => {
  test('goes through the claim rules, grants exactly once when called twice at once, and is audited', async () => {
    await using slow = await createTestApp({ auth: 'dev', granter: slowMockGranter(150) });
    const user = newUser();
    const notCompleted = await slow.json<ErrorBody>('POST', goalPath(user, 'tutorial', 'claim'), {
      admin: ADMIN,
    });
    expect(notCompleted.status).toBe(400);
    expect(notCompleted.body.error).toBe('GOAL_NOT_ACTIVE');
    await slow.request('POST', '/v1/challenges/initialize', { user });
    await applyEventBatch(slow.db.pool, slow.catalog, [stat(user, 'tutorial_completed', 1)], new Date());

    const [first, second] = await Promise.all([
      slow.json<ErrorBody & { reward: unknown }>('POST', goalPath(user, 'tutorial', 'claim'), {
        admin: ADMIN,
      }),
      slow.json<ErrorBody & { reward: unknown }>('POST', goalPath(user, 'tutorial', 'claim'), {
        admin: 'other-admin',
      }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    const winner = first.status === 200 ? first : second;
    expect(winner.body).toMatchObject({
      userId: user,
      challengeId: 'progression',
      goalId: 'tutorial',
      status: 'claimed',
      reward: { type: 'ITEM', rewardId: 'starter_pack', quantity: 1 },
    });
    const [ledger] = await slow.db.pool<{ n: number }[]>`
      select count(*)::int as n from reward_claims where user_id = ${user} and status = 'granted'`;
    expect(ledger?.n).toBe(1);
    const trail = await slow.json<Events>('GET', `/v1/admin/users/${user}/events?limit=3`, { admin: ADMIN });
    const claims = trail.body.entries.filter((entry) => entry.action === 'claim');
    expect(claims).toEqual([
      {
        kind: 'admin',
        recordedAt: expect.any(String),
        action: 'claim',
        adminUserId: first.status === 200 ? ADMIN : 'other-admin',
        goals: [
          {
            goalId: 'tutorial',
            result: 'changed',
            from: { progress: 1, status: 'completed' },
            to: { progress: 1, status: 'claimed' },
          },
        ],
      },
    ]);
    expect(
      (await slow.json<ErrorBody>('POST', goalPath(user, 'tutorial', 'claim'), { admin: ADMIN })).status,
    ).toBe(409);
  });
});

describe('DELETE /v1/admin/users/{userId}', () => {
  test('erases progress, claims and the audit trail, answers like the player route, and logs who did it', async () => {
    const user = newUser();
    await app.request('POST', '/v1/challenges/initialize', { user });
    await apply(stat(user, 'tutorial_completed', 1));
    await playerClaim(user, 'progression', 'tutorial');
    await setProgress(user, 'defeat-10-enemies', 4);
    const counts = async () =>
      (
        await sql<{ progress: number; claims: number; audit: number }[]>`
          select (select count(*)::int from user_goal_progress where user_id = ${user}) as progress,
            (select count(*)::int from reward_claims where user_id = ${user}) as claims,
            (select count(*)::int from processed_events where user_id = ${user}) as audit`
      )[0];
    const before = await counts();
    expect(before?.claims).toBe(1);
    expect(before?.audit).toBeGreaterThan(1);

    logLines.length = 0;
    const erased = await app.json('DELETE', `/v1/admin/users/${user}`, { admin: ADMIN });
    expect(erased).toEqual({ status: 200, body: { userId: user, rowsDeleted: String(before?.progress) } });
    expect(await counts()).toEqual({ progress: 0, claims: 0, audit: 0 });
    const logged = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.filter((line) => line['msg'] === 'admin erased a player')).toEqual([
      expect.objectContaining({
        adminUserId: ADMIN,
        userId: user,
        progressRows: before?.progress,
        claimRows: 1,
      }),
    ]);
    // No rate limit for admins; erasing again deletes nothing.
    expect((await app.json('DELETE', `/v1/admin/users/${user}`, { admin: ADMIN })).body).toEqual({
      userId: user,
      rowsDeleted: '0',
    });
  });
});

describe('admin changes racing the event flush', () => {
  test('every write lands, and the changes form one path from the first state to the stored one', async () => {
    const user = newUser();
    await app.request('POST', '/v1/challenges/initialize', { user });
    const base = Date.now();
    const work: Promise<string>[] = [];
    for (let i = 0; i < 12; i++) {
      const event = { ...stat(user, 'enemy_kills', 100 + i), occurredAt: base + i };
      work.push(
        apply(event).then(() => 'applied'),
        setProgress(user, 'defeat-10-enemies', 200 + i).then(
          (answer) => `${answer.status} ${answer.body.error ?? ''}`,
        ),
      );
    }
    expect(
      (await Promise.all(work)).filter((outcome) => outcome !== 'applied' && outcome !== '200 '),
    ).toEqual([]);
    // Every value written is distinct. An entry lists every goal its event changed: another goal on
    // the same stat starts from 0 too, so only this goal's effects are compared.
    const trail = await events(user, '?goalId=defeat-10-enemies&limit=1000');
    const changes = trail.body.entries
      .flatMap((entry) => entry.goals)
      .filter((e) => e.goalId === 'defeat-10-enemies' && e.result === 'changed');
    expect(changes.length).toBeGreaterThanOrEqual(12);
    // Each change starts where exactly one other ended (the first at 0): two writes that both
    // started from one state would mean one of them was applied over a state it never saw.
    const next = new Map<number | undefined, number | undefined>();
    for (const effect of changes) {
      expect(next.has(effect.from?.progress)).toBe(false);
      next.set(effect.from?.progress, effect.to?.progress);
    }
    let at: number | undefined = 0;
    for (let step = 0; step < changes.length; step++) {
      expect(next.has(at)).toBe(true);
      at = next.get(at);
    }
    const [stored] = await sql<{ progress: number }[]>`
      select progress from user_goal_progress_current
      where user_id = ${user} and goal_id = 'defeat-10-enemies'`;
    expect(stored?.progress).toBe(at);
  }, 20_000);
});
