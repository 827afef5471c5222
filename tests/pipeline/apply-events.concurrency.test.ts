/**
 * A flush reads progress rows without locking them and writes them guarded on the version read.
 * These tests hold another writer's transaction open on a row until the flush's write is waiting
 * for it, then commit: the flush must notice the change and fold its events onto the new state.
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { loadChallengeConfig } from '../../src/config/challenge-config.ts';
import { lockStoredProgress, writeAdminProgress } from '../../src/db/admin-progress.ts';
import type { Db } from '../../src/db/client.ts';
import { erasePlayerRows } from '../../src/db/erasure.ts';
import { readAuditEntries } from '../../src/db/event-audit.ts';
import {
  getUserProgress,
  insertAssignments,
  lockProgressState,
  markClaimed,
  setGoalActive,
  writeProgressState,
} from '../../src/db/progress-rows.ts';
import type { GoalEffect, GoalUnchangedReason } from '../../src/domain/audit.ts';
import { createCatalog } from '../../src/domain/catalog.ts';
import { applyEventBatch } from '../../src/pipeline/apply-events.ts';
import type { PipelineEvent } from '../../src/pipeline/pipeline-event.ts';
import { statEvent } from '../helpers/pipeline-events.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
afterAll(() => db.drop());
const catalog = createCatalog(loadChallengeConfig('config/challenges.test.json'));
const NOW = new Date('2026-05-01T12:00:00Z');
let user = '';

/** Event ids are unique across tests: the dedup table is shared by the whole file. */
const matches = (id: string) => statEvent(user, 'matches_played', 1, { id: `${user}-${id}`, at: NOW });
const activateMatches = () =>
  setGoalActive(db.pool, {
    userId: user,
    namespace: 'ns',
    goalId: 'play-5-matches',
    challengeId: 'starter-challenge',
    isActive: true,
    now: NOW,
  });
const apply = (events: PipelineEvent[]) => applyEventBatch(db.pool, catalog, events, NOW);
const progressOf = async (goalId: string) =>
  (await getUserProgress(db.pool, user)).find((row) => row.goalId === goalId);

/** Runs `write` in a transaction that stays open until `during` has resolved, then commits. */
async function whileHeldOpen<T>(write: (tx: Db) => Promise<unknown>, during: () => Promise<T>): Promise<T> {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let written = () => {};
  const ready = new Promise<void>((resolve) => {
    written = resolve;
  });
  const holder = db.pool.begin(async (tx) => {
    await write(tx);
    written();
    await released;
  });
  await ready;
  const running = during();
  await untilWaitingOnLock();
  release();
  await holder;
  return running;
}

/** Resolves once some session of the test database waits for a row lock. */
async function untilWaitingOnLock(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [row] = await db.pool<{ waiting: number }[]>`
      select count(*)::int as waiting from pg_stat_activity
      where datname = ${db.name} and wait_event_type = 'Lock'`;
    if ((row?.waiting ?? 0) > 0) return;
    await Bun.sleep(10);
  }
  throw new Error('no session started waiting for a lock');
}

beforeEach(async () => {
  user = `user-${crypto.randomUUID()}`;
  await insertAssignments(db.pool, user, 'ns', catalog.defaultGoals, NOW);
});

describe('applyEventBatch with a concurrent writer', () => {
  // An increment goal keeps its own count in its row, so the flush writes the row itself.
  test('a row changed after the read is folded again from its new state, events applied once', async () => {
    await activateMatches();
    await apply([matches('first')]);
    const result = await whileHeldOpen(
      (tx) =>
        writeProgressState(tx, {
          userId: user,
          goalId: 'play-5-matches',
          progress: 3,
          status: 'in_progress',
          completedAt: null,
          now: NOW,
        }),
      () => apply([matches('second')]),
    );
    expect(result).toMatchObject({
      appliedByKind: { statistic: 1 },
      duplicatesByKind: { statistic: 0 },
      rowsWritten: 1,
    });
    expect(await progressOf('play-5-matches')).toMatchObject({ progress: 4, status: 'in_progress' });

    const again = await apply([matches('second')]);
    expect(again).toMatchObject({
      appliedByKind: { statistic: 0 },
      duplicatesByKind: { statistic: 1 },
      rowsWritten: 0,
    });
    expect(await progressOf('play-5-matches')).toMatchObject({ progress: 4 });
  });

  test('a stat changed after the read (another replica) is folded again from its new value', async () => {
    const kills = (value: number, seconds: number) =>
      statEvent(user, 'enemy_kills', value, {
        id: `${user}-kills-${value}`,
        at: new Date(NOW.getTime() + seconds * 1000),
      });
    await apply([kills(2, 1)]);
    const result = await whileHeldOpen(
      (tx) => tx`update user_stat_values set value = 9, last_event_at = ${new Date(NOW.getTime() + 2000)},
          seq = nextval('user_stat_seq')
        where user_id = ${user} and stat_code = 'enemy_kills'`,
      () => apply([kills(5, 1.5)]),
    );
    // Folded again from 9, stored for a newer event, the older 5 changes nothing (written over
    // the stat it first read, it would have replaced the 9).
    expect(result).toMatchObject({ appliedByKind: { statistic: 1 }, rowsWritten: 0 });
    expect(await progressOf('defeat-10-enemies')).toMatchObject({ progress: 9, status: 'in_progress' });
  });

  test('a row deactivated after the read is left untouched', async () => {
    await activateMatches();
    await apply([matches('first')]);
    const result = await whileHeldOpen(
      (tx) =>
        setGoalActive(tx, {
          userId: user,
          namespace: 'ns',
          goalId: 'play-5-matches',
          challengeId: 'starter-challenge',
          isActive: false,
          now: NOW,
        }),
      () => apply([matches('second')]),
    );
    expect(result).toMatchObject({ appliedByKind: { statistic: 1 }, rowsWritten: 0 });
    expect(await progressOf('play-5-matches')).toMatchObject({ progress: 1, isActive: false });
  });

  describe('a goal that follows its stat, taken over by another writer after the flush read it', () => {
    // The event's change is carried by the stat alone, so the flush writes no goal row: it must
    // still notice the takeover, or it records a move the goal never made.
    const GOAL = 'defeat-10-enemies';
    const kills = (value: number, seconds: number) =>
      statEvent(user, 'enemy_kills', value, {
        id: `${user}-kills-${value}`,
        at: new Date(NOW.getTime() + seconds * 1000),
      });
    /** What the event with this id recorded for the goal. */
    const effectOf = async (eventId: string): Promise<GoalEffect | undefined> => {
      const entries = await readAuditEntries(db.pool, user, { limit: 100 });
      const entry = entries.find((e) => e.kind !== 'admin' && e.eventId === eventId);
      return entry?.goals.find((effect) => effect.goalId === GOAL);
    };
    /** The event with this value changed nothing for the goal, for this reason. */
    const expectUnchanged = async (value: number, reason: GoalUnchangedReason) =>
      expect(await effectOf(`${user}-kills-${value}`)).toEqual({ goalId: GOAL, result: 'unchanged', reason });

    test('deactivated: the event records the goal inactive, and it keeps what it showed', async () => {
      await apply([kills(2, 1)]);
      await whileHeldOpen(
        (tx) =>
          setGoalActive(tx, {
            userId: user,
            namespace: 'ns',
            goalId: GOAL,
            challengeId: 'starter-challenge',
            isActive: false,
            now: NOW,
          }),
        () => apply([kills(5, 2)]),
      );
      expect(await progressOf(GOAL)).toMatchObject({ progress: 2, isActive: false });
      await expectUnchanged(5, 'goal_inactive');
    });

    test('claimed: the event records the goal claimed, and it keeps the progress it was claimed at', async () => {
      await apply([kills(12, 1)]);
      await whileHeldOpen(
        async (tx) => {
          await lockProgressState(tx, user, GOAL);
          await markClaimed(tx, {
            userId: user,
            goalId: GOAL,
            progressDay: null,
            period: null,
            now: NOW,
          });
        },
        () => apply([kills(15, 2)]),
      );
      expect(await progressOf(GOAL)).toMatchObject({ progress: 12, status: 'claimed' });
      await expectUnchanged(15, 'already_claimed');
    });

    test("an admin's write: the event starts from the admin's state", async () => {
      await apply([kills(2, 1)]);
      await whileHeldOpen(
        async (tx) => {
          const row = await lockStoredProgress(tx, { userId: user, goalId: GOAL });
          if (!row) throw new Error('no row');
          await writeAdminProgress(tx, {
            userId: user,
            goalId: GOAL,
            state: { ...row, progress: 7, status: 'in_progress' },
            expiresAt: null,
            newEarning: false,
            now: NOW,
          });
        },
        () => apply([kills(5, 2)]),
      );
      expect(await effectOf(`${user}-kills-5`)).toMatchObject({
        result: 'changed',
        from: { progress: 7 },
        to: { progress: 5 },
      });
      expect(await progressOf(GOAL)).toMatchObject({ progress: 5 });
    });
  });

  test('an erasure waits for a flush that holds the stat, instead of deadlocking with it', async () => {
    await apply([statEvent(user, 'enemy_kills', 2, { id: `${user}-kills-2`, at: NOW })]);
    // A flush's write order: the stat, then a goal row. The erasure starts in between; taking the
    // rows first and then the stat, it would hold what the flush wants next.
    const secondStep = Promise.withResolvers<void>();
    const statHeld = Promise.withResolvers<void>();
    const flush = db.pool.begin(async (tx) => {
      await tx`update user_stat_values set value = 3 where user_id = ${user} and stat_code = 'enemy_kills'`;
      statHeld.resolve();
      await secondStep.promise;
      await tx`update user_goal_progress set updated_at = ${NOW} where user_id = ${user} and goal_id = 'defeat-10-enemies'`;
    });
    await statHeld.promise;
    const erasure = erasePlayerRows(db.pool, user, 'ns');
    await untilWaitingOnLock();
    secondStep.resolve();
    await flush;
    expect((await erasure).progressRows).toBeGreaterThan(0);
    expect(await getUserProgress(db.pool, user)).toEqual([]);
  });
});
