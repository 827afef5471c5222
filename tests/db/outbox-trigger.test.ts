/**
 * The outbox is written by the database in the transaction of each change, whoever makes it:
 * /initialize, activation, selection, the event flush, a claim, an admin, a rotation. Progress that
 * only moves writes nothing, and a change rolled back leaves no message.
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { OUTBOX_START, readPlayerMessages } from '../../src/db/outbox.ts';
import { applyEventBatch } from '../../src/pipeline/apply-events.ts';
import type { PipelineEvent } from '../../src/pipeline/pipeline-event.ts';
import { statEvent } from '../helpers/pipeline-events.ts';
import { createTestApp } from '../helpers/test-app.ts';

const app = await createTestApp();
afterAll(() => app.close());
const NOW = new Date('2026-05-01T12:00:00Z');
let user = '';

const stat = (statCode: string, value: number, at = NOW) => statEvent(user, statCode, value, { at });
const apply = (events: PipelineEvent[], at = NOW) => applyEventBatch(app.db.pool, app.catalog, events, at);
const messages = async () =>
  (await readPlayerMessages(app.db.pool, user, OUTBOX_START, 100)).map(
    (m) => `${m.type} ${m.goalId} ${m.progress} ${m.status}`,
  );

beforeEach(() => {
  user = `outbox-${crypto.randomUUID()}`;
  app.setNow(NOW);
});

describe('outbox messages', () => {
  test('initialize assigns; progress alone says nothing; completion and claim do', async () => {
    expect((await app.request('POST', '/v1/challenges/initialize', { user })).status).toBe(200);
    expect(await messages()).toEqual([
      'goal.assigned defeat-10-enemies 0 not_started',
      'goal.assigned login-3-times 0 not_started',
      'goal.assigned tutorial 0 not_started',
    ]);
    await apply([stat('enemy_kills', 4)]);
    expect(await messages()).toHaveLength(3);
    await apply([stat('enemy_kills', 12, new Date(NOW.getTime() + 1_000))]);
    expect((await messages()).slice(3)).toEqual(['goal.completed defeat-10-enemies 12 completed']);
    const claim = await app.request(
      'POST',
      '/v1/challenges/starter-challenge/goals/defeat-10-enemies/claim',
      { user },
    );
    expect(claim.status).toBe(200);
    expect((await messages()).slice(4)).toEqual(['goal.claimed defeat-10-enemies 12 claimed']);
    // The same state again (a repeated initialize) writes nothing.
    await app.request('POST', '/v1/challenges/initialize', { user });
    expect(await messages()).toHaveLength(5);
  });

  test('deactivation and activation; selection replacing goals', async () => {
    await app.request('POST', '/v1/challenges/initialize', { user });
    const goal = '/v1/challenges/starter-challenge/goals/play-5-matches/active';
    await app.request('PUT', goal, { user, body: { isActive: true } });
    await app.request('PUT', goal, { user, body: { isActive: false } });
    expect((await messages()).slice(3)).toEqual([
      'goal.assigned play-5-matches 0 not_started',
      'goal.unassigned play-5-matches 0 not_started',
    ]);
    const selected = await app.request('POST', '/v1/challenges/starter-challenge/goals/batch-select', {
      user,
      body: { goalIds: ['play-5-matches'], replaceExisting: true },
    });
    expect(selected.status).toBe(200);
    expect((await messages()).slice(5).sort()).toEqual([
      'goal.assigned play-5-matches 0 not_started',
      'goal.unassigned defeat-10-enemies 0 not_started',
      'goal.unassigned login-3-times 0 not_started',
    ]);
  });

  test("an admin's reset of a claimed goal is a reset", async () => {
    await app.request('POST', '/v1/challenges/initialize', { user });
    await apply([stat('tutorial_completed', 1)]);
    await app.request('POST', '/v1/challenges/progression/goals/tutorial/claim', { user });
    const reset = await app.request('POST', `/v1/admin/users/${user}/goals/tutorial/reset`, { admin: 'ops' });
    expect(reset.status).toBe(200);
    expect((await messages()).slice(-3)).toEqual([
      'goal.completed tutorial 1 completed',
      'goal.claimed tutorial 1 claimed',
      'goal.reset tutorial 0 not_started',
    ]);
  });

  test('a relative goal falling back to zero is no reset; an admin reset of a goal in progress is', async () => {
    const rotating = await createTestApp({ configPath: 'config/challenges.rotation.json', db: app.db });
    rotating.setNow(NOW);
    expect((await rotating.request('POST', '/v1/challenges/initialize', { user })).status).toBe(200);
    const assigned = (await messages()).length;
    let at = NOW.getTime();
    for (const value of [10, 15, 12, 5, 20]) {
      at += 1_000;
      await applyEventBatch(
        rotating.db.pool,
        rotating.catalog,
        [{ ...stat('enemy_kills', value), occurredAt: at }],
        new Date(at),
      );
    }
    expect((await messages()).slice(assigned)).toEqual([]);
    const reset = await rotating.request('POST', `/v1/admin/users/${user}/goals/daily-kills/reset`, {
      admin: 'ops',
    });
    expect(reset.status).toBe(200);
    const after = (await messages()).slice(assigned);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(/^goal\.reset daily-kills \d+ not_started$/);
  });

  test('goals one flush completes: a message each, in goal order, and the player named once to announce', async () => {
    await app.request('POST', '/v1/challenges/initialize', { user });
    for (const goalId of ['reach-level-5', 'reach-level-10']) {
      const path = `/v1/challenges/progression/goals/${goalId}/active`;
      expect((await app.request('PUT', path, { user, body: { isActive: true } })).status).toBe(200);
    }
    const result = await apply([stat('player_level', 12)]);
    expect((await messages()).slice(-2)).toEqual([
      'goal.completed reach-level-10 12 completed',
      'goal.completed reach-level-5 12 completed',
    ]);
    expect(result.notices.outboxPlayers).toEqual([user]);
  });

  test('a change rolled back leaves no message', async () => {
    await app.request('POST', '/v1/challenges/initialize', { user });
    await app.db.pool
      .begin(async (tx) => {
        await tx`update user_goal_progress set status = 'completed', completed_at = now(), progress = 10
          where user_id = ${user} and goal_id = 'defeat-10-enemies'`;
        throw new Error('roll back');
      })
      .catch(() => {});
    expect(await messages()).toHaveLength(3);
  });

  test("an erasure removes the player's messages", async () => {
    await app.request('POST', '/v1/challenges/initialize', { user });
    expect((await app.request('DELETE', '/v1/users/me/data', { user })).status).toBe(200);
    expect(await messages()).toEqual([]);
  });
});
