/**
 * The live streams' reads. The outbox read: a message committed behind a transaction that is still
 * running is held back and reported pending (passing it would skip the older one when it commits),
 * and a backlog of thousands of messages is paged through in order without a gap or a repeat. The
 * goals read: exactly the goals asked for, as players see them, by index even with plans made
 * while the tables were empty.
 */
import { afterAll, expect, test } from 'bun:test';
import type { Db } from '../../src/db/client.ts';
import { OUTBOX_START } from '../../src/db/outbox.ts';
import { readMessagesAfter, readPlayersGoals } from '../../src/db/stream-reads.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
afterAll(() => db.drop());

const insertMessages = (sql: typeof db.pool, user: string, count: number, goalId = 'g') => sql`
  insert into outbox_messages (user_id, namespace, type, challenge_id, goal_id, progress, status, occurred_at)
  select ${user}, 'test', 'goal.completed', 'c', ${goalId}, n, 'completed', now()
  from generate_series(1, ${count}::int) as n`;

test('a message committed after an older transaction that is still open waits for it', async () => {
  const user = `pending-${crypto.randomUUID()}`;
  const older = await db.pool.reserve();
  try {
    await older`begin`;
    await insertMessages(older, user, 1, 'older');
    await insertMessages(db.pool, user, 1, 'newer');
    const [waiting] = await readMessagesAfter(db.pool, [{ userId: user, cursor: OUTBOX_START }], 10);
    expect(waiting?.messages).toEqual([]);
    expect(waiting?.pending).toBe(true);
    await older`commit`;
  } finally {
    older.release();
  }
  const [read] = await readMessagesAfter(db.pool, [{ userId: user, cursor: OUTBOX_START }], 10);
  expect(read?.messages.map((m) => m.goalId)).toEqual(['older', 'newer']);
  expect(read?.pending).toBe(false);
});

test('a backlog of 20,000 messages is read page by page, in order, each once', async () => {
  const user = `backlog-${crypto.randomUUID()}`;
  await insertMessages(db.pool, user, 20_000);
  const seen: number[] = [];
  let cursor = OUTBOX_START;
  const started = performance.now();
  for (;;) {
    const [page] = await readMessagesAfter(db.pool, [{ userId: user, cursor }], 500);
    const last = page?.messages.at(-1);
    if (!page || !last) break;
    seen.push(...page.messages.map((m) => m.progress));
    cursor = last.cursor;
  }
  expect(seen).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 1));
  // Each page probes the index once (~0.3 s in all here); walking the rest of the backlog for every
  // page took ~8 s.
  expect(performance.now() - started).toBeLessThan(3_000);
}, 60_000);

/** `goals` rows for `user`; the first `following` follow the stat `kills`, whose value is 7. */
const insertPlayer = async (sql: Db, user: string, goals: number, following: number) => {
  await sql`
    insert into user_goal_progress (user_id, goal_id, challenge_id, namespace, progress, status, is_active,
      stat_code)
    select ${user}, 'g' || n, 'c', 'test', 1, 'in_progress', true, case when n <= ${following} then 'kills' end
    from generate_series(1, ${goals}::int) as n`;
  await sql`
    insert into user_stat_values (user_id, stat_code, value, last_event_at, changed_at, seq)
    values (${user}, 'kills', 7, now(), now(), nextval('user_stat_seq'))`;
};

const scans = async (tx: Db) =>
  tx<{ relname: string; seq_scan: number }[]>`
    select relname, seq_scan::int from pg_stat_xact_user_tables
    where relname in ('user_goal_progress', 'user_stat_values') order by relname`;

test('the goals read gives each player exactly the goals asked for, as the player sees them', async () => {
  const [a, b, c] = ['a', 'b', 'c'].map((name) => `goals-${name}-${crypto.randomUUID()}`) as [
    string,
    string,
    string,
  ];
  await insertPlayer(db.pool, a, 30, 20);
  await insertPlayer(db.pool, b, 30, 20);
  const read = await readPlayersGoals(
    db.pool,
    new Map([
      // A goal twice, one the player has no row for, one following the stat and one not.
      [a, ['g3', 'g3', 'g25', 'missing']],
      [b, Array.from({ length: 30 }, (_, i) => `g${i + 1}`)],
      [c, ['g1']],
    ]),
  );
  const shown = (user: string) => (read.get(user) ?? []).map((row) => `${row.goalId}:${row.progress}`).sort();
  expect(shown(a)).toEqual(['g25:1', 'g3:7']);
  expect(shown(b)).toHaveLength(30);
  expect(shown(b).filter((row) => row.endsWith(':7'))).toHaveLength(20);
  expect(read.get(c)).toEqual([]);
});

test('the goals read probes the keys with a plan made while the tables were empty', async () => {
  const fresh = await createTestDb();
  try {
    await fresh.pool`alter table user_goal_progress set (autovacuum_enabled = false)`;
    await fresh.pool`alter table user_stat_values set (autovacuum_enabled = false)`;
    await fresh.pool.begin(async (tx) => {
      await tx`set local plan_cache_mode = force_generic_plan`;
      const wanted = new Map(
        Array.from({ length: 50 }, (_, i) => [
          `player-${i}`,
          Array.from({ length: 17 }, (_, g) => `g${g + 1}`),
        ]),
      );
      expect((await readPlayersGoals(tx, wanted)).get('player-1')).toEqual([]);
      for (let i = 0; i < 500; i++) await insertPlayer(tx, `player-${i}`, 100, 20);
      const before = await scans(tx);
      const read = await readPlayersGoals(tx, wanted);
      expect(read.get('player-1')).toHaveLength(17);
      expect(await scans(tx)).toEqual(before);
    });
  } finally {
    await fresh.drop();
  }
}, 60_000);
