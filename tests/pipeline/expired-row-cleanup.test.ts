import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { createPool } from '../../src/db/client.ts';
import { createCatalog } from '../../src/domain/catalog.ts';
import type { Challenge, Rotation } from '../../src/domain/types.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { startExpiredRowCleanup } from '../../src/pipeline/expired-row-cleanup.ts';
import { makeGoal } from '../helpers/goals.ts';
import { createTestDb } from '../helpers/test-db.ts';

const NAMESPACE = 'test-namespace';
const NOW = new Date('2026-06-20T12:00:00Z');
const DAY = 86_400_000;
const RETENTION_MS = 7 * DAY;
const OLD = new Date(NOW.getTime() - 8 * DAY);
const RECENT = new Date(NOW.getTime() - 6 * DAY);

const rotating = (resetProgress: boolean, allowReselection: boolean): Rotation => ({
  schedule: 'daily',
  resetProgress,
  allowReselection,
});
const goal = (goalId: string, defaultAssigned: boolean, rotation: Rotation | null) =>
  makeGoal({
    goalId,
    challengeId: 'c',
    defaultAssigned,
    rotation,
    progressMode: rotation ? 'relative' : 'absolute',
  });
const challenge: Challenge = {
  challengeId: 'c',
  name: 'C',
  description: '',
  goals: [
    goal('reset-default', true, rotating(true, false)),
    goal('reselect-default', true, rotating(false, true)),
    goal('carry-default', true, rotating(false, false)),
    goal('picked', false, rotating(true, true)),
    goal('plain', true, null),
  ],
};
const catalog = createCatalog([challenge]);

interface Seed {
  readonly goalId: string;
  readonly status: 'not_started' | 'in_progress' | 'completed' | 'claimed';
  readonly active: boolean;
  readonly expiresAt: Date | null;
  readonly namespace?: string;
  /** Whether the cleanup must delete it, and why it must not otherwise. */
  readonly deleted: boolean;
  readonly why: string;
}

// Every case the README names, once per player.
const CASES: readonly Seed[] = [
  {
    goalId: 'reset-default',
    status: 'in_progress',
    active: true,
    expiresAt: OLD,
    deleted: true,
    why: 'reset anyway, /initialize rebuilds it',
  },
  {
    goalId: 'reset-default',
    status: 'in_progress',
    active: true,
    expiresAt: RECENT,
    deleted: false,
    why: 'within the retention',
  },
  {
    goalId: 'reset-default',
    status: 'claimed',
    active: true,
    expiresAt: OLD,
    deleted: false,
    why: 'claimed, not reselectable: blocks a second claim',
  },
  {
    goalId: 'reset-default',
    status: 'in_progress',
    active: false,
    expiresAt: OLD,
    deleted: false,
    why: 'a deactivated default goal',
  },
  {
    goalId: 'reselect-default',
    status: 'claimed',
    active: true,
    expiresAt: OLD,
    deleted: true,
    why: 'claimed and reselectable: starts over',
  },
  {
    goalId: 'reselect-default',
    status: 'completed',
    active: true,
    expiresAt: OLD,
    deleted: false,
    why: 'an unclaimed completion carries over',
  },
  {
    goalId: 'carry-default',
    status: 'in_progress',
    active: true,
    expiresAt: OLD,
    deleted: false,
    why: 'progress carries over',
  },
  {
    goalId: 'picked',
    status: 'in_progress',
    active: true,
    expiresAt: OLD,
    deleted: false,
    why: 'a goal the player activated',
  },
  {
    goalId: 'picked',
    status: 'in_progress',
    active: false,
    expiresAt: OLD,
    deleted: true,
    why: 'inactive, not default: reads as no row',
  },
  {
    goalId: 'plain',
    status: 'in_progress',
    active: true,
    expiresAt: OLD,
    deleted: false,
    why: 'the goal does not rotate',
  },
  {
    goalId: 'reset-default',
    status: 'in_progress',
    active: true,
    expiresAt: OLD,
    namespace: 'other',
    deleted: false,
    why: 'another namespace',
  },
  {
    goalId: 'reset-default',
    status: 'in_progress',
    active: true,
    expiresAt: null,
    deleted: false,
    why: 'no period end',
  },
];
const PLAYERS = 5;
// Rows are keyed by (user, goal): each case gets its own user per player.
const userOf = (player: number, caseIndex: number) => `p${player}-case${caseIndex}`;
const EXPECTED_DELETED = PLAYERS * CASES.filter((c) => c.deleted).length;

const db = await createTestDb();
afterAll(() => db.drop());

async function seed(): Promise<void> {
  await db.pool`truncate user_goal_progress`;
  for (let player = 0; player < PLAYERS; player++) {
    for (const [index, row] of CASES.entries()) {
      const claimed = row.status === 'claimed';
      const completed = claimed || row.status === 'completed';
      await db.pool`
        insert into user_goal_progress (user_id, goal_id, challenge_id, namespace, progress, status,
          is_active, expires_at, completed_at, claimed_at, period_start)
        values (${userOf(player, index)}, ${row.goalId}, 'c', ${row.namespace ?? NAMESPACE}, 5, ${row.status},
          ${row.active}, ${row.expiresAt}, ${completed ? OLD : null}, ${claimed ? OLD : null},
          ${row.expiresAt ? new Date(row.expiresAt.getTime() - DAY) : null})`;
    }
  }
}

const remaining = async () =>
  new Set(
    (await db.pool<{ user_id: string }[]>`select user_id from user_goal_progress`).map((r) => r.user_id),
  );

function capturingLogger() {
  const lines: Array<{ level: string; msg: string }> = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const metricValue = async (metrics: Metrics, name: string): Promise<number> => {
  const text = await metrics.registry.getSingleMetricAsString(name);
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}_count `));
  return Number(line?.split(' ')[1]);
};

function start(
  options: {
    metrics?: Metrics;
    batchSize?: number;
    maxBatchesPerCycle?: number;
    logger?: ReturnType<typeof createLogger>;
    pool?: typeof db.pool;
  } = {},
) {
  return startExpiredRowCleanup({
    db: options.pool ?? db.pool,
    catalog: () => catalog,
    namespace: NAMESPACE,
    retentionMs: RETENTION_MS,
    intervalMs: 3_600_000,
    batchSize: options.batchSize ?? 4,
    maxBatchesPerCycle: options.maxBatchesPerCycle ?? 100,
    pauseMs: 1,
    metrics: options.metrics ?? createMetrics({ defaultMetrics: false }),
    logger: options.logger ?? createLogger('fatal'),
    clock: () => NOW,
  });
}

beforeEach(seed);

describe('expired-row cleanup', () => {
  test('deletes exactly the disposable rows whose period ended before the retention, keeps the rest', async () => {
    const cleanup = start();
    try {
      expect(await cleanup.runOnce()).toEqual({ rowsDeleted: EXPECTED_DELETED, outcome: 'done' });
      const left = await remaining();
      for (let player = 0; player < PLAYERS; player++) {
        for (const [index, row] of CASES.entries()) {
          expect({ why: row.why, kept: left.has(userOf(player, index)) }).toEqual({
            why: row.why,
            kept: !row.deleted,
          });
        }
      }
      expect(await cleanup.runOnce()).toEqual({ rowsDeleted: 0, outcome: 'done' });
    } finally {
      cleanup.stop();
    }
  });

  test('works in batches of CLEANUP_BATCH_SIZE, at most maxBatchesPerCycle per cycle, and counts it in the metrics', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    // 15 rows, batches of 4, two batches a cycle: 8, then 7.
    const cleanup = start({ metrics, batchSize: 4, maxBatchesPerCycle: 2 });
    try {
      expect(await cleanup.runOnce()).toEqual({ rowsDeleted: 8, outcome: 'done' });
      expect(await cleanup.runOnce()).toEqual({ rowsDeleted: EXPECTED_DELETED - 8, outcome: 'done' });
      expect(await metricValue(metrics, 'challenge_cleanup_rows_deleted_total')).toBe(EXPECTED_DELETED);
      expect(await metricValue(metrics, 'challenge_cleanup_cycles_total')).toBe(2);
      expect(await metricValue(metrics, 'challenge_cleanup_errors_total')).toBe(0);
      expect(await metricValue(metrics, 'challenge_cleanup_duration_seconds')).toBe(2);
      const text = await metrics.render();
      for (const name of ['rows_deleted_total', 'cycles_total', 'errors_total', 'duration_seconds_bucket']) {
        expect(text).toContain(`challenge_cleanup_${name}`);
      }
    } finally {
      cleanup.stop();
    }
  });

  test('a failing database is logged once, counted, and retried next cycle', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { logger, lines } = capturingLogger();
    const cleanup = start({ metrics, logger });
    try {
      await db.pool`alter table user_goal_progress rename to user_goal_progress_away`;
      expect((await cleanup.runOnce()).outcome).toBe('failed');
      expect((await cleanup.runOnce()).outcome).toBe('failed');
      await db.pool`alter table user_goal_progress_away rename to user_goal_progress`;
      expect(await cleanup.runOnce()).toEqual({ rowsDeleted: EXPECTED_DELETED, outcome: 'done' });
      expect(lines.filter((line) => line.level === 'warn')).toHaveLength(1);
      expect(lines.some((line) => line.msg === 'expired-row cleanup works again')).toBe(true);
      expect(await metricValue(metrics, 'challenge_cleanup_errors_total')).toBe(2);
      expect(await metricValue(metrics, 'challenge_cleanup_cycles_total')).toBe(3);
    } finally {
      cleanup.stop();
    }
  });

  test('an unreachable database fails the cycle without throwing', async () => {
    const unreachable = createPool({
      url: 'postgres://postgres@127.0.0.1:1/none',
      maxConnections: 1,
      connectTimeoutSeconds: 1,
    });
    const cleanup = start({ pool: unreachable });
    try {
      expect(await cleanup.runOnce()).toEqual({ rowsDeleted: 0, outcome: 'failed' });
    } finally {
      cleanup.stop();
      await unreachable.end({ timeout: 1 });
    }
  });

  test('a database that does not answer holds one cycle; later ticks skip instead of stacking statements', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { logger, lines } = capturingLogger();
    const cleanup = start({ metrics, logger });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = db.pool.begin(async (tx) => {
      await tx`lock table user_goal_progress in access exclusive mode`;
      locked();
      await held;
    });
    try {
      await isLocked;
      const hung = cleanup.runOnce();
      await Bun.sleep(50);
      expect(await cleanup.runOnce()).toEqual({ rowsDeleted: 0, outcome: 'skipped' });
      expect(await cleanup.runOnce()).toEqual({ rowsDeleted: 0, outcome: 'skipped' });
      expect(lines.filter((line) => line.level === 'warn')).toHaveLength(1);
      release();
      await holder;
      expect(await hung).toEqual({ rowsDeleted: EXPECTED_DELETED, outcome: 'done' });
      expect((await cleanup.runOnce()).outcome).toBe('done');
      expect(await metricValue(metrics, 'challenge_cleanup_errors_total')).toBe(2);
    } finally {
      release();
      cleanup.stop();
    }
  });
});
