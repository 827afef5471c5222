/**
 * DELETE /v1/users/me/data: what it erases (and what it leaves), its answer, its per-user rate
 * limit on a moved clock, and what a redelivered event of an erased player does afterwards.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { createUserRateLimit } from '../../src/http/user-rate-limit.ts';
import { applyEventBatch } from '../../src/pipeline/apply-events.ts';
import type { PipelineEvent } from '../../src/pipeline/pipeline-event.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const app = await createTestApp();
afterAll(() => app.close());
const sql = app.db.pool;

let seq = 0;
const tutorialEvent = (userId: string, id: string): PipelineEvent => ({
  seq: ++seq,
  kind: 'statistic',
  id,
  userId,
  statCode: 'tutorial_completed',
  value: 1,
  inc: 1,
  receivedAt: Date.now(),
  occurredAt: Date.now(),
});
const apply = (...events: PipelineEvent[]) => applyEventBatch(sql, app.catalog, events, new Date());
const erase = (target: TestApp, user: string) => target.request('DELETE', '/v1/users/me/data', { user });

async function stored(userId: string) {
  const [row] = await sql<{ progress: number; claims: number; events: number }[]>`
    select (select count(*)::int from user_goal_progress where user_id = ${userId}) as progress,
      (select count(*)::int from reward_claims where user_id = ${userId}) as claims,
      (select count(*)::int from processed_events where user_id = ${userId}) as events`;
  return row;
}

async function seedPlayer(userId: string) {
  expect((await app.request('POST', '/v1/challenges/initialize', { user: userId })).status).toBe(200);
  await apply(tutorialEvent(userId, `${userId}-tutorial-1`));
  const claim = await app.request('POST', '/v1/challenges/progression/goals/tutorial/claim', {
    user: userId,
  });
  expect(claim.status).toBe(200);
}

describe('DELETE /v1/users/me/data', () => {
  const t0 = new Date('2026-06-20T12:00:00Z');
  const later = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

  test("erases exactly the caller's progress, claims and processed event ids; rowsDeleted counts progress rows", async () => {
    await seedPlayer('erase-alice');
    await seedPlayer('erase-bob');
    const alice = await stored('erase-alice');
    const bob = await stored('erase-bob');
    expect(alice?.progress).toBeGreaterThan(0);
    expect(alice?.claims).toBe(1);
    expect(alice?.events).toBe(1);

    app.setNow(t0);
    const response = await erase(app, 'erase-alice');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ userId: 'erase-alice', rowsDeleted: String(alice?.progress) });
    expect(await stored('erase-alice')).toEqual({ progress: 0, claims: 0, events: 0 });
    expect(await stored('erase-bob')).toEqual(bob);
    const [bobEvent] = await sql`select 1 from processed_events where event_id = 'erase-bob-tutorial-1'`;
    expect(bobEvent).toBeDefined();
  });

  test('once a minute per user: 429 RESOURCE_EXHAUSTED with Retry-After, allowed again after the window', async () => {
    app.setNow(t0);
    await erase(app, 'limit-carol');
    const refused = await erase(app, 'limit-carol');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    const body = (await refused.json()) as { error: string; code: number; message: string };
    expect(body.error).toBe('RESOURCE_EXHAUSTED');
    expect(body.code).toBe(8);
    expect(body.message).toContain('retry in 60 seconds');

    app.setNow(later(45));
    const stillRefused = await erase(app, 'limit-carol');
    expect(stillRefused.status).toBe(429);
    expect(stillRefused.headers.get('retry-after')).toBe('15');
    // Another player is not limited by carol's call.
    expect((await erase(app, 'limit-dave')).status).toBe(200);

    app.setNow(later(60));
    const again = await erase(app, 'limit-carol');
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ userId: 'limit-carol', rowsDeleted: '0' });
    app.setNow(undefined);
  });

  test('needs a token, and is served under BASE_PATH', async () => {
    await using dev = await createTestApp({ auth: 'dev' });
    expect((await dev.request('DELETE', '/v1/users/me/data')).status).toBe(401);
    await using prefixed = await createTestApp({ basePath: '/challenge' });
    const response = await erase(prefixed, 'prefixed-erin');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ userId: 'prefixed-erin', rowsDeleted: '0' });
  });

  test('is documented in the OpenAPI document', async () => {
    const doc = (await (await app.request('GET', '/swagger/json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const operation = doc.paths['/v1/users/me/data']?.['delete'];
    expect(operation).toBeDefined();
    expect(Object.keys(operation?.responses ?? {}).sort()).toEqual([
      '200',
      '400',
      '401',
      '413',
      '429',
      '500',
      '503',
    ]);
    expect(JSON.stringify(operation?.responses['200'])).toContain('rowsDeleted');
  });
});

describe('events of an erased player', () => {
  const tutorialStatus = async (user: string) =>
    (
      await sql<{ status: string }[]>`
        select status from user_goal_progress where user_id = ${user} and goal_id = 'tutorial'`
    )[0]?.status;

  test('a redelivered event is applied as new once the player has rows again: its erased id is no longer a duplicate', async () => {
    const user = 'redeliver-frank';
    await app.request('POST', '/v1/challenges/initialize', { user });
    const first = tutorialEvent(user, 'frank-tutorial-1');
    expect((await apply(first)).appliedByKind.statistic).toBe(1);
    expect((await apply(first)).duplicatesByKind.statistic).toBe(1);
    expect((await erase(app, user)).status).toBe(200);

    await app.request('POST', '/v1/challenges/initialize', { user });
    expect(await tutorialStatus(user)).toBe('not_started');
    const redelivered = await apply(first);
    expect(redelivered.duplicatesByKind.statistic).toBe(0);
    // The goal's row, and the stat's value it follows from now on.
    expect(redelivered.rowsWritten).toBe(2);
    expect(await tutorialStatus(user)).toBe('completed');
    // From here on it is a duplicate again, and a new event is applied as usual.
    expect((await apply(first)).duplicatesByKind.statistic).toBe(1);
    const login = { ...tutorialEvent(user, 'frank-login-1'), kind: 'login' } as PipelineEvent;
    expect((await apply(login)).appliedByKind.login).toBe(1);
  });

  test('a redelivered event of a player without rows changes nothing', async () => {
    const user = 'redeliver-gina';
    await app.request('POST', '/v1/challenges/initialize', { user });
    const first = tutorialEvent(user, 'gina-tutorial-1');
    await apply(first);
    expect((await erase(app, user)).status).toBe(200);

    const result = await apply(first);
    expect(result.rowsWritten).toBe(0);
    expect((await stored(user))?.progress).toBe(0);
    // Events never create rows: after /initialize the goal starts from nothing, and the id just
    // recorded again makes a further redelivery a duplicate.
    await app.request('POST', '/v1/challenges/initialize', { user });
    expect((await apply(first)).duplicatesByKind.statistic).toBe(1);
    expect(await tutorialStatus(user)).toBe('not_started');
  });
});

describe('claims after an erasure', () => {
  test('a goal earned again after an erasure is granted under a new key each time; the erasure keeps no player id', async () => {
    const user = 'erase-claim-hana';
    const key = `test-namespace:${user}:tutorial:once`;
    const keysOf = () =>
      app.grants.filter((grant) => grant.userId === user).map((grant) => grant.idempotencyKey);
    await seedPlayer(user);
    for (const [round, at] of [
      [2, new Date('2026-07-01T12:00:00Z')],
      [3, new Date('2026-07-01T12:05:00Z')],
    ] as const) {
      app.setNow(at);
      expect((await erase(app, user)).status).toBe(200);
      await seedPlayer(user);
      expect(keysOf().at(-1)).toBe(`${key}:${round}`);
      // Claimed once per earning, as ever.
      const again = await app.request('POST', '/v1/challenges/progression/goals/tutorial/claim', { user });
      expect(again.status).toBe(409);
    }
    expect(keysOf()).toEqual([key, `${key}:2`, `${key}:3`]);
    // What the erasure kept: a digest and a number per claim, not who it was.
    const kept = await sql<Record<string, unknown>[]>`select * from erased_claims`;
    expect(kept.length).toBeGreaterThan(0);
    for (const row of kept) {
      expect(Object.keys(row).sort()).toEqual(['digest', 'earning']);
      expect(Buffer.from(row['digest'] as Uint8Array).toString('latin1')).not.toContain(user);
    }
  });
});

describe('the per-user rate limit', () => {
  test('stays bounded: beyond maxUsers the oldest user is forgotten early', () => {
    let now = 0;
    const limit = createUserRateLimit({ windowMs: 60_000, maxUsers: 2, clock: () => new Date(now) });
    expect(limit.take('a')).toBe(0);
    expect(limit.take('b')).toBe(0);
    expect(limit.take('a')).toBe(60);
    expect(limit.take('c')).toBe(0);
    // 'a' was the oldest entry and made room for 'c'.
    expect(limit.take('a')).toBe(0);
    now = 59_001;
    expect(limit.take('c')).toBe(1);
    limit.release('c');
    expect(limit.take('c')).toBe(0);
  });
});
