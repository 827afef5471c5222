/**
 * A flush reads progress rows without locking them and writes them guarded on the version read.
 * These tests hold another writer's transaction open on a row until the flush's write is waiting
 * for it, then commit: the flush must notice the change and fold its events onto the new state.
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { loadChallengeConfig } from '../../src/config/challenge-config.ts';
import type { Db } from '../../src/db/client.ts';
import {
  getUserProgress,
  insertAssignments,
  setGoalActive,
  writeProgressState,
} from '../../src/db/progress-rows.ts';
import { createCatalog } from '../../src/domain/catalog.ts';
import { applyEventBatch } from '../../src/pipeline/apply-events.ts';
import type { PipelineEvent } from '../../src/pipeline/pipeline-event.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
afterAll(() => db.drop());
const catalog = createCatalog(loadChallengeConfig('config/challenges.test.json'));
const NOW = new Date('2026-05-01T12:00:00Z');
let seq = 0;
let user = '';

/** Event ids are unique across tests: the dedup table is shared by the whole file. */
const login = (id: string): PipelineEvent => ({
  seq: ++seq,
  kind: 'login',
  id: `${user}-${id}`,
  userId: user,
  receivedAt: NOW.getTime(),
  occurredAt: NOW.getTime(),
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
  test('a row changed after the read is folded again from its new state, events applied once', async () => {
    await apply([login('first')]);
    const result = await whileHeldOpen(
      (tx) =>
        writeProgressState(tx, {
          userId: user,
          goalId: 'login-3-times',
          progress: 2,
          status: 'in_progress',
          completedAt: null,
          now: NOW,
        }),
      () => apply([login('second')]),
    );
    expect(result).toMatchObject({
      appliedByKind: { login: 1 },
      duplicatesByKind: { login: 0 },
      rowsWritten: 1,
    });
    expect(await progressOf('login-3-times')).toMatchObject({ progress: 3, status: 'completed' });

    const again = await apply([login('second')]);
    expect(again).toMatchObject({
      appliedByKind: { login: 0 },
      duplicatesByKind: { login: 1 },
      rowsWritten: 0,
    });
    expect(await progressOf('login-3-times')).toMatchObject({ progress: 3 });
  });

  test('a row deactivated after the read is left untouched', async () => {
    await apply([login('first')]);
    const result = await whileHeldOpen(
      (tx) =>
        setGoalActive(tx, {
          userId: user,
          namespace: 'ns',
          goalId: 'login-3-times',
          challengeId: 'starter-challenge',
          isActive: false,
          now: NOW,
        }),
      () => apply([login('second')]),
    );
    expect(result).toMatchObject({ appliedByKind: { login: 1 }, rowsWritten: 0 });
    expect(await progressOf('login-3-times')).toMatchObject({ progress: 1, isActive: false });
  });
});
