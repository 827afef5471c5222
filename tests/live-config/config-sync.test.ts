/**
 * Where the configuration in force comes from (file at start-up, SIGHUP, an admin's PUT) and how
 * replicas converge on it, against a real database. Each "replica" here is its own LiveCatalog
 * on the same database, as two processes would be.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/challenge-config.ts';
import { configHistory } from '../../src/db/challenge-configs.ts';
import { createConfigAdmin } from '../../src/live-config/config-admin.ts';
import {
  applyConfigDocument,
  readConfigFile,
  reloadConfigFile,
  resolveStartupConfig,
  startConfigSync,
} from '../../src/live-config/config-sync.ts';
import { createLiveCatalog } from '../../src/live-config/live-catalog.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDb, type TestDb } from '../helpers/test-db.ts';

const logger = createLogger('fatal');
const dir = mkdtempSync(join(tmpdir(), 'live-config-'));
const base = JSON.parse(readFileSync('config/challenges.test.json', 'utf8'));
const dbs: TestDb[] = [];
afterAll(async () => {
  for (const db of dbs) await db.drop();
});

const freshDb = async () => {
  const db = await createTestDb();
  dbs.push(db);
  return db;
};
let files = 0;
/** The test configuration with one goal's target changed (and written to a file of its own). */
const variant = (target: number) => {
  const document = structuredClone(base);
  document.challenges[0].goals[0].requirement.targetValue = target;
  const path = join(dir, `challenges-${++files}.json`);
  writeFileSync(path, JSON.stringify(document));
  return { document, path };
};
const targetOf = (live: ReturnType<typeof createLiveCatalog>) =>
  live.current().goalById.get('defeat-10-enemies')?.requirement.targetValue;
const replica = async (db: TestDb, path: string) =>
  createLiveCatalog(await resolveStartupConfig(db.pool, readConfigFile(path), logger));

describe('live configuration', () => {
  test('a fresh database starts on the file and records it', async () => {
    const db = await freshDb();
    const { path } = variant(10);
    const live = await replica(db, path);
    expect(targetOf(live)).toBe(10);
    expect(live.inForce()).toMatchObject({ source: 'file', appliedBy: path });
    expect(await configHistory(db.pool, 10)).toHaveLength(1);
  });

  test('a restart keeps a configuration applied through the API; a changed file is applied', async () => {
    const db = await freshDb();
    const first = variant(10);
    const live = await replica(db, first.path);
    await applyConfigDocument(db.pool, live, {
      document: variant(25).document,
      source: 'api',
      appliedBy: 'admin-1',
      sourceName: 'candidate',
    });
    expect(targetOf(live)).toBe(25);
    // Same file as before: the newer API configuration stays in force.
    expect(targetOf(await replica(db, first.path))).toBe(25);
    // A file with rules never applied from a file wins, as editing the file always did.
    expect(targetOf(await replica(db, variant(40).path))).toBe(40);
    // An old file again (a replica of the previous release restarting): the newest stays.
    expect(targetOf(await replica(db, first.path))).toBe(40);
  });

  test('a new configuration reads the progress rows of the goals whose stat it changes, and of no other', async () => {
    const db = await freshDb();
    const { path } = variant(10);
    const live = await replica(db, path);
    // A row that follows its stat, as the event flush leaves it.
    await db.pool`insert into user_stat_values (user_id, stat_code, value, last_event_at, changed_at, seq)
      values ('follower', 'enemy_kills', 7, now(), now(), nextval('user_stat_seq'))`;
    await db.pool`insert into user_goal_progress
        (user_id, goal_id, challenge_id, namespace, progress, status, is_active, assigned_at, created_at,
         updated_at, stat_code)
      values ('follower', 'defeat-10-enemies', 'starter-challenge', 'test', 0, 'not_started', true, now(), now(),
        now(), 'enemy_kills')`;
    const statCode = async () =>
      (
        await db.pool<{ stat_code: string | null }[]>`
        select stat_code from user_goal_progress where user_id = 'follower'`
      )[0]?.stat_code;
    const apply = (document: unknown, appliedBy: string) =>
      applyConfigDocument(db.pool, live, { document, source: 'api', appliedBy, sourceName: appliedBy });
    // Another session holds the table against writers: an UPDATE of it, even of no row, would wait.
    const holder = await db.pool.reserve();
    await holder`begin`;
    await holder`lock table user_goal_progress in share mode`;
    let locked = true;
    try {
      // A new target: the goal still follows its stat, and the configuration is recorded at once.
      await apply(variant(20).document, 'target');
      expect(targetOf(live)).toBe(20);
      // Counting events instead: its rows must be released, which waits for the table.
      const counting = structuredClone(variant(20).document);
      counting.challenges[0].goals[0].type = 'increment';
      let done = false;
      const retyped = apply(counting, 'type').then(() => (done = true));
      await Bun.sleep(300);
      expect(done).toBe(false);
      await holder`commit`;
      locked = false;
      await retyped;
      expect(await statCode()).toBeNull();
      // A replica still on the older configuration marks the row again before its next poll; the
      // next configuration recorded within the hour releases it, though it changes only a target.
      await db.pool`update user_goal_progress set stat_code = 'enemy_kills' where user_id = 'follower'`;
      counting.challenges[0].goals[0].requirement.targetValue = 30;
      await apply(counting, 'later');
      expect(await statCode()).toBeNull();
    } finally {
      if (locked) await holder`rollback`;
      holder.release();
    }
  });

  test('another replica picks a new configuration up on its next poll', async () => {
    const db = await freshDb();
    const { path } = variant(10);
    const a = await replica(db, path);
    const b = await replica(db, path);
    const applied: number[] = [];
    b.onChange(async ({ challenges }) => {
      applied.push(challenges[0]?.goals[0]?.requirement.targetValue ?? -1);
    });
    const sync = startConfigSync({ db: db.pool, live: b, intervalMs: 60_000, logger });
    try {
      expect(await sync.pollOnce()).toBe(false);
      await applyConfigDocument(db.pool, a, {
        document: variant(33).document,
        source: 'api',
        appliedBy: 'admin-1',
        sourceName: 'candidate',
      });
      expect(await sync.pollOnce()).toBe(true);
      expect(targetOf(b)).toBe(33);
      expect(b.inForce().version).toBe(a.inForce().version);
      // The workers' listener ran with the new rules before the HTTP side switched.
      expect(applied).toEqual([33]);
    } finally {
      sync.stop();
    }
  });

  test('SIGHUP reload: unchanged file records nothing; a bad file changes nothing', async () => {
    const db = await freshDb();
    const { path, document } = variant(10);
    const live = await replica(db, path);
    expect((await reloadConfigFile(db.pool, live, path)).changed).toBe(false);
    document.challenges[0].goals[0].requirement.targetValue = 12;
    writeFileSync(path, JSON.stringify(document));
    expect((await reloadConfigFile(db.pool, live, path)).changed).toBe(true);
    expect(targetOf(live)).toBe(12);
    writeFileSync(path, '{"challenges": [');
    await expect(reloadConfigFile(db.pool, live, path)).rejects.toBeInstanceOf(ConfigError);
    document.challenges[0].goals[0].requirement.targetValue = 0;
    writeFileSync(path, JSON.stringify(document));
    await expect(reloadConfigFile(db.pool, live, path)).rejects.toThrow('targetValue');
    expect(targetOf(live)).toBe(12);
    expect(await configHistory(db.pool, 10)).toHaveLength(2);
  });

  test('a stored configuration this release cannot read is skipped, with the one in force kept', async () => {
    const db = await freshDb();
    const live = await replica(db, variant(10).path);
    await db.pool`
      insert into challenge_configs (version, document, source, applied_by)
      values ('from-the-future', '{"challenges": 5}'::jsonb, 'api', 'newer-release')`;
    const sync = startConfigSync({ db: db.pool, live, intervalMs: 60_000, logger });
    try {
      expect(await sync.pollOnce()).toBe(false);
      expect(targetOf(live)).toBe(10);
    } finally {
      sync.stop();
    }
  });

  test('validate: path-precise errors, or the diff with the players each removed or retargeted goal has', async () => {
    const db = await freshDb();
    const live = await replica(db, variant(10).path);
    const admin = createConfigAdmin({ db: db.pool, live, namespace: 'ns' });
    await db.pool`
      insert into user_goal_progress (user_id, goal_id, challenge_id, namespace, progress, status, completed_at)
      values ('p1', 'defeat-10-enemies', 'starter-challenge', 'ns', 4, 'in_progress', null),
             ('p2', 'defeat-10-enemies', 'starter-challenge', 'ns', 12, 'completed', now()),
             ('p1', 'tutorial', 'progression', 'ns', 0, 'not_started', null)`;

    const bad = structuredClone(base);
    bad.challenges[0].goals[0].requirement.targetValue = 'ten';
    expect(await admin.validate(bad)).toEqual({
      valid: false,
      errors: [{ path: 'challenges[0].goals[0].requirement.targetValue', message: expect.any(String) }],
    });

    const candidate = structuredClone(base);
    candidate.challenges[0].goals[0].requirement.targetValue = 20;
    candidate.challenges[0].goals[0].name = 'Defeat 20 enemies';
    const progression = candidate.challenges.find(
      (challenge: { challengeId: string }) => challenge.challengeId === 'progression',
    );
    progression.goals = progression.goals.filter((goal: { goalId: string }) => goal.goalId !== 'tutorial');
    for (const goal of progression.goals) {
      goal.prerequisites = (goal.prerequisites ?? []).filter((id: string) => id !== 'tutorial');
    }
    const result = await admin.validate(candidate);
    if (!result.valid) throw new Error(`candidate refused: ${JSON.stringify(result.errors)}`);
    expect(result.unchanged).toBe(false);
    expect(result.diff.goalsRemoved).toEqual(['tutorial']);
    expect(result.diff.goalsChanged.find((change) => change.goalId === 'defeat-10-enemies')).toEqual({
      goalId: 'defeat-10-enemies',
      challengeId: 'starter-challenge',
      fields: ['name', 'targetValue'],
      retargeted: true,
    });
    expect(result.impact.removed).toEqual([
      { goalId: 'tutorial', players: 1, inProgress: 0, completedUnclaimed: 0 },
    ]);
    expect(result.impact.retargeted).toContainEqual({
      goalId: 'defeat-10-enemies',
      players: 2,
      inProgress: 1,
      completedUnclaimed: 1,
    });
    // Validation changes nothing.
    expect(targetOf(live)).toBe(10);
  });
});
