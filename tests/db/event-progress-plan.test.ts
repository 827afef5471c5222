/**
 * The flush's row read must use the primary key even before PostgreSQL has statistics for the
 * table — the state of a fresh database filling up with players. A plan that scans the whole
 * table per flush turned milliseconds into seconds under load.
 */
import { afterAll, expect, test } from 'bun:test';
import { readChangeableRows } from '../../src/db/event-progress.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
afterAll(() => db.drop());

test('the flush read uses the primary key on a table that was never analysed', async () => {
  await db.pool`alter table user_goal_progress set (autovacuum_enabled = false)`;
  // 2,000 players × 30 goals, inserted per player as /initialize does; no ANALYZE.
  await db.pool`
    insert into user_goal_progress (user_id, goal_id, challenge_id, namespace)
    select 'user-' || lpad(u::text, 6, '0'), 'goal-' || lpad(g::text, 2, '0'), 'c', 'ns'
    from generate_series(1, 2000) as u, generate_series(1, 30) as g
    order by 1, 2`;
  const [stats] = await db.pool<{ analysed: boolean }[]>`
    select last_analyze is not null or last_autoanalyze is not null as analysed
    from pg_stat_user_tables where relname = 'user_goal_progress'`;
  expect(stats?.analysed).toBe(false);

  const users = (from: number) =>
    Array.from({ length: 40 }, (_, i) => `user-${String(from + i * 7).padStart(6, '0')}`);
  const goals = (from: number) =>
    Array.from({ length: 10 }, (_, i) => `goal-${String(from + i).padStart(2, '0')}`);
  const groups = [
    { userIds: users(1).sort(), goalIds: goals(1) },
    { userIds: users(500).sort(), goalIds: goals(11) },
    { userIds: users(1000).sort(), goalIds: goals(21) },
  ];
  const { rows, scans } = await db.pool.begin(async (tx) => {
    const rows = await readChangeableRows(tx, groups, [], { lock: false });
    const [scans] = await tx<{ seq_scan: number; idx_scan: number }[]>`
      select seq_scan::int, idx_scan::int from pg_stat_xact_user_tables where relname = 'user_goal_progress'`;
    return { rows, scans };
  });
  expect(rows.length).toBe(3 * 40 * 10);
  expect(scans?.seq_scan).toBe(0);
  expect(scans?.idx_scan).toBeGreaterThan(0);
});
