/**
 * Goals that follow their stat (absolute, statistic, not rotating) take their progress from one
 * row per player and stat: an event writes that row, and a goal's own row only when something
 * else about it changes. What players and operators see must not change.
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { lockStoredProgress, writeAdminProgress } from '../../src/db/admin-progress.ts';
import { erasePlayerRows } from '../../src/db/erasure.ts';
import {
  getUserProgress,
  insertAssignments,
  lockProgressState,
  markClaimed,
  setGoalActive,
} from '../../src/db/progress-rows.ts';
import { getVersionedUserProgress } from '../../src/db/rotation-rows.ts';
import { releaseUnfollowedRows } from '../../src/db/stat-values.ts';
import { createCatalog } from '../../src/domain/catalog.ts';
import { followedStats } from '../../src/domain/stat-values.ts';
import type { Goal } from '../../src/domain/types.ts';
import { applyEventBatch } from '../../src/pipeline/apply-events.ts';
import type { PipelineEvent } from '../../src/pipeline/pipeline-event.ts';
import { makeGoal } from '../helpers/goals.ts';
import { statEvent } from '../helpers/pipeline-events.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
afterAll(() => db.drop());

const kills10 = makeGoal({ goalId: 'kills-10', targetValue: 10, defaultAssigned: true });
const kills50 = makeGoal({ goalId: 'kills-50', targetValue: 50, defaultAssigned: true });
const wins3 = makeGoal({ goalId: 'wins-3', statCode: 'wins', targetValue: 3, defaultAssigned: true });
const loginGoal = (goalId: string, targetValue: number, defaultAssigned: boolean) =>
  makeGoal({ goalId, statCode: 'login_count', eventSource: 'login', targetValue, defaultAssigned });
const logins3 = loginGoal('logins-3', 3, true);
const logins5 = loginGoal('logins-5', 5, true);
const logins7 = loginGoal('logins-7', 7, false);
const challenge = (goals: Goal[]) => [{ challengeId: 'challenge-a', name: 'A', description: '', goals }];
const catalog = createCatalog(challenge([kills10, kills50, wins3, logins3, logins5, logins7]));

const T0 = new Date('2026-05-01T12:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
let user = '';

const kills = (value: number, seconds: number) => statEvent(user, 'enemy_kills', value, { at: at(seconds) });
const login = (seconds: number): PipelineEvent => ({
  ...kills(0, seconds),
  kind: 'login',
});
const apply = (events: PipelineEvent[], seconds = 0, inCatalog = catalog) =>
  applyEventBatch(db.pool, inCatalog, events, at(seconds));
const shown = async (goalId: string) =>
  (await getUserProgress(db.pool, user)).find((row) => row.goalId === goalId);
/** The table as stored, which an operator's SQL on `user_goal_progress` itself reads. */
const stored = async (goalId: string) => {
  const [row] = await db.pool<{ progress: number; status: string; stat_code: string | null }[]>`
    select progress, status, stat_code from user_goal_progress where user_id = ${user} and goal_id = ${goalId}`;
  return row;
};
const current = async (goalId: string) => {
  const [row] = await db.pool<{ progress: number; status: string }[]>`
    select progress, status from user_goal_progress_current where user_id = ${user} and goal_id = ${goalId}`;
  return row;
};
const outboxTypes = async (goalId: string) =>
  (
    await db.pool<{ type: string; progress: number }[]>`
      select type, progress from outbox_messages where user_id = ${user} and goal_id = ${goalId} order by id`
  ).map((row) => `${row.type}:${row.progress}`);

beforeEach(async () => {
  user = `user-${crypto.randomUUID()}`;
  await insertAssignments(db.pool, user, 'ns', catalog.defaultGoals, T0);
});

describe('goals that follow their stat', () => {
  test('after the first event an event writes one stat row, and every goal of the stat shows it', async () => {
    const first = await apply([kills(4, 1)], 1);
    expect(first.rowsWritten).toBe(3); // both goals start to follow, plus the stat
    const second = await apply([kills(7, 2)], 2);
    expect(second.rowsWritten).toBe(1);
    expect(await shown('kills-10')).toMatchObject({ progress: 7, status: 'in_progress' });
    expect(await shown('kills-50')).toMatchObject({ progress: 7, status: 'in_progress' });
    // The rows themselves keep what they stored; the view is what players see.
    expect(await stored('kills-10')).toEqual({
      progress: 4,
      status: 'in_progress',
      stat_code: 'enemy_kills',
    });
    expect(await current('kills-10')).toEqual({ progress: 7, status: 'in_progress' });
    // /initialize reads rows with their versions, as they show.
    expect(
      (await getVersionedUserProgress(db.pool, user)).find((row) => row.goalId === 'kills-10'),
    ).toMatchObject({
      progress: 7,
    });
    // A goal of another stat is not touched.
    expect(await shown('wins-3')).toMatchObject({ progress: 0, status: 'not_started' });
  });

  test('completion writes the goal row with its message; completed goals keep following the stat', async () => {
    await apply([kills(4, 1)], 1);
    const completing = await apply([kills(12, 2)], 2);
    expect(completing.rowsWritten).toBe(2); // kills-10 completes; kills-50 only follows the stat
    expect(await shown('kills-10')).toMatchObject({ progress: 12, status: 'completed', completedAt: at(2) });
    expect(await outboxTypes('kills-10')).toEqual(['goal.assigned:0', 'goal.completed:12']);

    const dropping = await apply([kills(3, 3)], 3);
    expect(dropping.rowsWritten).toBe(1);
    // Sticky completion, while the progress follows the stat below the target, as before.
    expect(await shown('kills-10')).toMatchObject({ progress: 3, status: 'completed', completedAt: at(2) });
    expect(await shown('kills-50')).toMatchObject({ progress: 3, status: 'in_progress' });
    const toZero = await apply([kills(0, 4)], 4);
    expect(toZero.rowsWritten).toBe(1);
    expect(await shown('kills-50')).toMatchObject({ progress: 0, status: 'not_started' });
  });

  test('an event older than the newest applied changes nothing; repeated values write nothing', async () => {
    await apply([kills(4, 10)], 10);
    await apply([kills(6, 20)], 20);
    const older = await apply([kills(9, 15)], 21);
    expect(older.rowsWritten).toBe(0);
    const same = await apply([kills(6, 30)], 30);
    expect(same.rowsWritten).toBe(0);
    expect(await shown('kills-50')).toMatchObject({ progress: 6 });
  });

  test('several events of a batch fold in order, and completion in between sticks', async () => {
    await apply([kills(1, 1)], 1);
    const result = await apply([kills(11, 2), kills(2, 3)], 3);
    expect(await shown('kills-10')).toMatchObject({ progress: 2, status: 'completed', completedAt: at(2) });
    expect(await shown('kills-50')).toMatchObject({ progress: 2, status: 'in_progress' });
    expect(result.rowsWritten).toBe(2);
  });

  test('deactivation keeps what the goal showed; events while inactive do not reach it', async () => {
    await apply([kills(4, 1)], 1);
    await apply([kills(8, 2)], 2);
    const setActive = (isActive: boolean, seconds: number) =>
      setGoalActive(db.pool, {
        userId: user,
        namespace: 'ns',
        goalId: 'kills-50',
        challengeId: 'challenge-a',
        isActive,
        now: at(seconds),
      });
    await setActive(false, 3);
    expect(await stored('kills-50')).toMatchObject({ progress: 8 });
    await apply([kills(20, 4)], 4);
    expect(await shown('kills-50')).toMatchObject({ progress: 8, isActive: false });
    await setActive(true, 5);
    // Active again, it shows what it had until the next event reaches it.
    expect(await shown('kills-50')).toMatchObject({ progress: 8, isActive: true });
    await apply([kills(25, 6)], 6);
    expect(await shown('kills-50')).toMatchObject({ progress: 25, isActive: true });
  });

  test('a claim keeps the progress the goal showed when it was claimed', async () => {
    await apply([kills(4, 1)], 1);
    await apply([kills(15, 2)], 2);
    await apply([kills(18, 3)], 3);
    await db.pool.begin(async (tx) => {
      expect(await lockProgressState(tx, user, 'kills-10')).toMatchObject({
        progress: 18,
        status: 'completed',
      });
      expect(
        await markClaimed(tx, {
          userId: user,
          goalId: 'kills-10',
          progressDay: null,
          period: null,
          now: at(4),
        }),
      ).toBe(true);
    });
    expect(await stored('kills-10')).toMatchObject({ progress: 18, status: 'claimed' });
    expect(await outboxTypes('kills-10')).toEqual([
      'goal.assigned:0',
      'goal.completed:15',
      'goal.claimed:18',
    ]);
    await apply([kills(30, 5)], 5);
    expect(await shown('kills-10')).toMatchObject({ progress: 18, status: 'claimed' });
    expect(await shown('kills-50')).toMatchObject({ progress: 30 });
  });

  test("an admin's write stands until the next event", async () => {
    await apply([kills(4, 1)], 1);
    await apply([kills(6, 2)], 2);
    await db.pool.begin(async (tx) => {
      const row = await lockStoredProgress(tx, { userId: user, goalId: 'kills-50' });
      expect(row).toMatchObject({ progress: 6, status: 'in_progress' });
      await writeAdminProgress(tx, {
        userId: user,
        goalId: 'kills-50',
        state: {
          progress: 40,
          status: 'in_progress',
          completedAt: null,
          claimedAt: null,
          progressDay: null,
          lastEventAt: row?.lastEventAt ?? null,
          baselineValue: null,
          periodStart: null,
        },
        expiresAt: null,
        newEarning: false,
        now: at(3),
      });
    });
    expect(await shown('kills-50')).toMatchObject({ progress: 40 });
    expect(await shown('kills-10')).toMatchObject({ progress: 6 });
    await apply([kills(7, 4)], 4);
    expect(await shown('kills-50')).toMatchObject({ progress: 7 });
  });

  test('a new configuration in which the goal counts events stores what it showed and stops following', async () => {
    await apply([kills(4, 1)], 1);
    await apply([kills(9, 2)], 2);
    const counting = { ...kills50, type: 'increment' as const };
    const next = challenge([kills10, counting, wins3]);
    expect(await releaseUnfollowedRows(db.pool, followedStats(next))).toBeGreaterThanOrEqual(1);
    expect(await stored('kills-50')).toEqual({ progress: 9, status: 'in_progress', stat_code: null });
    expect(await stored('kills-10')).toMatchObject({ stat_code: 'enemy_kills' });
    await apply([kills(30, 3)], 3, createCatalog(next));
    // Counted once, from what it showed; the goal that still follows shows the stat.
    expect(await shown('kills-50')).toMatchObject({ progress: 10 });
    expect(await shown('kills-10')).toMatchObject({ progress: 30, status: 'completed' });
  });

  test('goals that count logins share one count; a goal that starts later counts from there', async () => {
    const first = await apply([login(1)], 1);
    expect(first.rowsWritten).toBe(3); // both login goals start to follow, plus the count
    const second = await apply([login(2)], 2);
    expect(second.rowsWritten).toBe(1);
    expect(await shown('logins-5')).toMatchObject({ progress: 2, status: 'in_progress' });
    await setGoalActive(db.pool, {
      userId: user,
      namespace: 'ns',
      goalId: 'logins-7',
      challengeId: 'challenge-a',
      isActive: true,
      now: at(3),
    });
    expect(await shown('logins-7')).toMatchObject({ progress: 0, status: 'not_started' });
    // logins-3 completes (its row and message); logins-7 starts to follow, one login in.
    const third = await apply([login(4)], 4);
    expect(third.rowsWritten).toBe(3);
    expect(await shown('logins-3')).toMatchObject({ progress: 3, status: 'completed', completedAt: at(4) });
    expect(await outboxTypes('logins-3')).toEqual(['goal.assigned:0', 'goal.completed:3']);
    expect(await shown('logins-7')).toMatchObject({ progress: 1, status: 'in_progress' });
    const fourth = await apply([login(5), login(6)], 6);
    expect(fourth.rowsWritten).toBe(2); // logins-5 completes at 5
    expect(await shown('logins-3')).toMatchObject({ progress: 5, status: 'completed' });
    expect(await shown('logins-5')).toMatchObject({ progress: 5, status: 'completed', completedAt: at(5) });
    expect(await shown('logins-7')).toMatchObject({ progress: 3, status: 'in_progress' });
    expect(await stored('logins-7')).toMatchObject({ progress: 1, stat_code: '' });
  });

  test('a player erased loses the stat values too', async () => {
    await apply([kills(4, 1)], 1);
    await erasePlayerRows(db.pool, user, 'ns');
    const [row] = await db.pool<{ count: number }[]>`
      select count(*)::int as count from user_stat_values where user_id = ${user}`;
    expect(row?.count).toBe(0);
  });

  test('two flushes of one player at once apply every event once, the newest value last', async () => {
    await apply([kills(1, 1)], 1);
    // As two replicas would: each reads the stat, then only one write lands over what it read;
    // the other rolls back and runs again, locked.
    await Promise.all([
      applyEventBatch(db.pool, catalog, [kills(5, 2)], at(2)),
      applyEventBatch(db.pool, catalog, [kills(8, 3)], at(3)),
      applyEventBatch(db.pool, catalog, [kills(6, 4), kills(9, 5)], at(5)),
    ]);
    expect(await shown('kills-50')).toMatchObject({ progress: 9 });
    expect(await shown('kills-10')).toMatchObject({ status: 'in_progress' });
  });
});
