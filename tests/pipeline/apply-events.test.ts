import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { loadChallengeConfig } from '../../src/config/challenge-config.ts';
import { getUserProgress, insertAssignments, setGoalActive } from '../../src/db/progress-rows.ts';
import { createCatalog } from '../../src/domain/catalog.ts';
import { applyEventBatch } from '../../src/pipeline/apply-events.ts';
import type { PipelineEvent } from '../../src/pipeline/pipeline-event.ts';
import { statEvent } from '../helpers/pipeline-events.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
afterAll(() => db.drop());
const catalog = createCatalog(loadChallengeConfig('config/challenges.test.json'));
const NOW = new Date('2026-05-01T12:00:00Z');
let seq = 0;
let user = '';

const stat = (statCode: string, value: number, id = '', userId = user) =>
  statEvent(userId, statCode, value, { id, at: NOW });
const login = (id = '', userId = user, at = NOW): PipelineEvent => ({
  seq: ++seq,
  kind: 'login',
  id,
  userId,
  receivedAt: at.getTime(),
  occurredAt: at.getTime(),
});
const apply = (events: PipelineEvent[]) => applyEventBatch(db.pool, catalog, events, NOW);
const progressOf = async (goalId: string) =>
  (await getUserProgress(db.pool, user)).find((row) => row.goalId === goalId);
const activate = (goalId: string, challengeId: string, isActive = true) =>
  setGoalActive(db.pool, { userId: user, namespace: 'ns', goalId, challengeId, isActive, now: NOW });

beforeEach(async () => {
  user = `user-${crypto.randomUUID()}`;
  await insertAssignments(db.pool, user, 'ns', catalog.defaultGoals, NOW);
});

describe('applyEventBatch', () => {
  test('absolute statistic goal follows the value and completes at the target', async () => {
    await apply([stat('enemy_kills', 4)]);
    expect(await progressOf('defeat-10-enemies')).toMatchObject({ progress: 4, status: 'in_progress' });
    await apply([stat('enemy_kills', 20)]);
    // Past the target, as the original shows it; completion is sticky when the stat drops again.
    expect(await progressOf('defeat-10-enemies')).toMatchObject({ progress: 20, status: 'completed' });
    const later = new Date(NOW.getTime() + 60_000);
    await apply([{ ...stat('enemy_kills', 3), occurredAt: later.getTime() }]);
    expect(await progressOf('defeat-10-enemies')).toMatchObject({
      progress: 3,
      status: 'completed',
      completedAt: NOW,
    });
  });

  test('several events for one row in one batch are folded in order (login counter)', async () => {
    const result = await apply([login(), login(), login()]);
    // The goal's row (it completed) and the login count it follows.
    expect(result).toMatchObject({
      rowsWritten: 2,
      appliedByKind: { login: 3, statistic: 0 },
    });
    expect(await progressOf('login-3-times')).toMatchObject({ progress: 3, status: 'completed' });
  });

  test('events never create rows for unassigned goals', async () => {
    await apply([stat('matches_played', 1), stat('player_level', 7)]);
    const goals = (await getUserProgress(db.pool, user)).map((row) => row.goalId).sort();
    expect(goals).toEqual(['defeat-10-enemies', 'login-3-times', 'tutorial']);
  });

  test('inactive rows are untouched; activation keeps progress and events apply again', async () => {
    await activate('play-5-matches', 'starter-challenge');
    await apply([stat('matches_played', 1)]);
    await activate('play-5-matches', 'starter-challenge', false);
    await apply([stat('matches_played', 1), stat('matches_played', 1)]);
    expect(await progressOf('play-5-matches')).toMatchObject({ progress: 1, isActive: false });
    await activate('play-5-matches', 'starter-challenge');
    await apply([stat('matches_played', 1)]);
    expect(await progressOf('play-5-matches')).toMatchObject({ progress: 2, isActive: true });
  });

  test('claimed rows are never changed by events', async () => {
    await apply([stat('enemy_kills', 10)]);
    await db.pool`update user_goal_progress set status = 'claimed', claimed_at = ${NOW}
      where user_id = ${user} and goal_id = 'defeat-10-enemies'`;
    const result = await apply([stat('enemy_kills', 50)]);
    expect(result.rowsWritten).toBe(0);
    expect(await progressOf('defeat-10-enemies')).toMatchObject({ progress: 10, status: 'claimed' });
  });

  test('a redelivered event id is applied once, within a batch and across batches', async () => {
    const first = await apply([login('evt-1'), login('evt-1'), login('evt-2')]);
    expect(first).toMatchObject({
      appliedByKind: { login: 2, statistic: 0 },
      duplicatesByKind: { login: 1, statistic: 0 },
    });
    const again = await apply([login('evt-1'), login('evt-2')]);
    expect(again).toMatchObject({
      appliedByKind: { login: 0 },
      duplicatesByKind: { login: 2 },
      rowsWritten: 0,
    });
    expect(await progressOf('login-3-times')).toMatchObject({ progress: 2 });
  });

  test('events without an id are applied at-least-once', async () => {
    await apply([login(''), login('')]);
    expect(await progressOf('login-3-times')).toMatchObject({ progress: 2 });
  });

  test('daily goals and once-per-day increments use the event time', async () => {
    await activate('daily-login', 'daily-quests');
    await activate('login-3-days', 'daily-quests');
    const day1 = new Date('2026-05-01T08:00:00Z');
    const day2 = new Date('2026-05-02T08:00:00Z');
    await apply([login('', user, day1), login('', user, day1)]);
    expect(await progressOf('login-3-days')).toMatchObject({ progress: 1, progressDay: '2026-05-01' });
    expect(await progressOf('daily-login')).toMatchObject({
      progress: 1,
      status: 'completed',
      progressDay: '2026-05-01',
    });
    await apply([login('', user, day2)]);
    expect(await progressOf('login-3-days')).toMatchObject({ progress: 2, progressDay: '2026-05-02' });
    expect(await progressOf('daily-login')).toMatchObject({ status: 'completed', progressDay: '2026-05-02' });
  });

  test('a 23:59 login redelivered at 00:01 counts on the day it happened, not the day it arrived', async () => {
    await activate('daily-login', 'daily-quests');
    await activate('login-3-days', 'daily-quests');
    const happened = new Date('2026-05-01T23:59:00Z');
    const arrived = new Date('2026-05-02T00:01:00Z');
    await apply([{ ...login('', user, arrived), occurredAt: happened.getTime() }]);
    expect(await progressOf('daily-login')).toMatchObject({ status: 'completed', progressDay: '2026-05-01' });
    expect(await progressOf('login-3-days')).toMatchObject({ progress: 1, progressDay: '2026-05-01' });
    // The new day's own login still counts once for the new day.
    await apply([login('', user, new Date('2026-05-02T00:02:00Z'))]);
    expect(await progressOf('login-3-days')).toMatchObject({ progress: 2, progressDay: '2026-05-02' });
    // A late event of the earlier day changes nothing once a later day was counted.
    await apply([{ ...login('', user, arrived), occurredAt: new Date('2026-05-01T22:00:00Z').getTime() }]);
    expect(await progressOf('login-3-days')).toMatchObject({ progress: 2, progressDay: '2026-05-02' });
    expect(await progressOf('daily-login')).toMatchObject({ progressDay: '2026-05-02' });
  });

  test('an older statistic value redelivered after a newer one does not overwrite it', async () => {
    const at = (iso: string, value: number): PipelineEvent => ({
      ...stat('enemy_kills', value),
      occurredAt: new Date(iso).getTime(),
    });
    await apply([at('2026-05-01T11:00:02Z', 7)]);
    // The earlier event failed its first flush and comes back after the later one was applied.
    await apply([at('2026-05-01T11:00:01Z', 3)]);
    expect(await progressOf('defeat-10-enemies')).toMatchObject({ progress: 7 });
    // Within one batch too, arrival order does not beat event order.
    await apply([at('2026-05-01T11:00:05Z', 8), at('2026-05-01T11:00:04Z', 2)]);
    expect(await progressOf('defeat-10-enemies')).toMatchObject({ progress: 8 });
    await apply([at('2026-05-01T11:00:06Z', 5)]);
    expect(await progressOf('defeat-10-enemies')).toMatchObject({ progress: 5 });
  });

  test('many users in one batch are written by one statement each flush', async () => {
    const users = Array.from({ length: 200 }, (_, i) => `bulk-${i}-${crypto.randomUUID()}`);
    for (const id of users) await insertAssignments(db.pool, id, 'ns', catalog.defaultGoals, NOW);
    const result = await apply(users.flatMap((id) => [stat('enemy_kills', 5, '', id), login('', id)]));
    // Per user: the login goal's row and the kill goal's row, and the login count and the kill
    // stat they follow from now on.
    expect(result).toMatchObject({ appliedByKind: { login: 200, statistic: 200 }, rowsWritten: 800 });
  });
});
