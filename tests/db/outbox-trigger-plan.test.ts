/**
 * The outbox's update trigger joins a statement's old and new rows. PL/pgSQL keeps that query's
 * plan for the connection, costed for the first statement it saw: an update of thousands of rows
 * (an event flush, a configuration change releasing a goal's rows) must not cost the square of
 * its rows on a connection whose first update wrote one.
 */
import { afterAll, expect, test } from 'bun:test';
import { createPool } from '../../src/db/client.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb({ maxConnections: 1 });
afterAll(() => db.drop());

/** The trigger's own time in an EXPLAIN ANALYZE of `statement`, in ms. */
const triggerMs = (plan: Array<Record<string, string>>) => {
  const line = plan
    .map((row) => row['QUERY PLAN'] ?? '')
    .find((text) => text.startsWith('Trigger outbox_goal_update:'));
  return Number(line?.match(/time=([\d.]+)/)?.[1]);
};

test('an update of thousands of rows, on a connection that first updated one, is linear in the trigger', async () => {
  const players = 3_000;
  await db.pool.unsafe(`
    insert into user_goal_progress
      (user_id, goal_id, challenge_id, namespace, progress, status, is_active, assigned_at, created_at, updated_at)
    select 'plan-' || u, g, 'starter-challenge', 'test', 1, 'in_progress', true, now(), now(), now()
    from generate_series(1, ${players}) u, unnest(array['defeat-10-enemies', 'play-5-matches']) g`);
  await db.pool`analyze user_goal_progress`;
  const connection = createPool({ url: db.url, maxConnections: 1 });
  try {
    // The connection's first updates write one row each: the trigger's plan is made for those.
    for (let i = 1; i <= 6; i++)
      await connection`update user_goal_progress set progress = progress + 1
        where user_id = ${`plan-${i}`} and goal_id = 'play-5-matches'`;
    // Every player completes a goal in one statement, as a flush of their events would.
    const plan = await connection.begin((tx) =>
      tx.unsafe(`explain (analyze, format text) update user_goal_progress
        set status = 'completed', progress = 10, completed_at = now()
        where goal_id = 'defeat-10-enemies'`),
    );
    const ms = triggerMs(plan as unknown as Array<Record<string, string>>);
    // Linear: a few ms for these rows; a plan of nested loops takes seconds (9 M pairs).
    expect(ms).toBeLessThan(250);
    const [written] = await db.pool<{ count: number }[]>`
      select count(*)::int as count from outbox_messages where type = 'goal.completed'`;
    expect(written?.count).toBe(players);
  } finally {
    await connection.end();
  }
}, 60_000);
