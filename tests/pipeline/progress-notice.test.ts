/**
 * The event flush notifies `challenge_progress` once per batch that changed goals without an outbox
 * message, naming those goals of each player and the instant it stamped on them, at commit; a
 * change the outbox records is not named, and a batch that changes nothing sends nothing.
 */
import { afterAll, expect, test } from 'bun:test';
import { PROGRESS_CHANNEL } from '../../src/db/progress-notices.ts';
import { type ProgressNotice, parseProgressNotice } from '../../src/domain/progress-notice.ts';
import { applyEventBatch } from '../../src/pipeline/apply-events.ts';
import { statEvent } from '../helpers/pipeline-events.ts';
import { createTestApp } from '../helpers/test-app.ts';

const app = await createTestApp();
const received: ProgressNotice[] = [];
const listening = await app.db.pool.listen(PROGRESS_CHANNEL, (payload) => {
  const notice = parseProgressNotice(payload);
  if (notice) received.push(notice);
});
afterAll(async () => {
  await listening.unlisten();
  await app.close();
});

const stat = (userId: string, statCode: string, value: number) => statEvent(userId, statCode, value);

async function noticesAfter(work: () => Promise<unknown>): Promise<ProgressNotice[]> {
  const from = received.length;
  await work();
  // A notification follows its commit on another connection: give it a moment.
  await Bun.sleep(400);
  return received.slice(from);
}

test('a flush names the goals that moved without completing, with their updated_at', async () => {
  const users = ['notice-a', 'notice-b', 'notice-c'];
  for (const user of users) await app.request('POST', '/v1/challenges/initialize', { user });
  // Apart from the initialize's rows' updated_at.
  const now = new Date(Date.now() + 60_000);
  const notices = await noticesAfter(() =>
    applyEventBatch(
      app.db.pool,
      app.catalog,
      [
        stat('notice-a', 'enemy_kills', 3),
        stat('notice-b', 'enemy_kills', 4),
        stat('notice-c', 'no_goal_counts_this', 1),
      ],
      now,
    ),
  );
  expect(notices).toHaveLength(1);
  expect(notices[0]?.at).toEqual(now);
  const named = [...(notices[0]?.changes ?? [])].sort((a, b) => a.userId.localeCompare(b.userId));
  expect(named).toEqual([
    { userId: 'notice-a', goalIds: ['defeat-10-enemies'] },
    { userId: 'notice-b', goalIds: ['defeat-10-enemies'] },
  ]);
  const stamped = await app.db.pool<{ user_id: string; goal_id: string; progress: number }[]>`
    select user_id, goal_id, progress from user_goal_progress_current where updated_at = ${now}
    order by user_id`;
  expect([...stamped]).toEqual([
    { user_id: 'notice-a', goal_id: 'defeat-10-enemies', progress: 3 },
    { user_id: 'notice-b', goal_id: 'defeat-10-enemies', progress: 4 },
  ]);
});

test('a completion is left to its outbox message; the notice names only what moved', async () => {
  await app.request('POST', '/v1/challenges/initialize', { user: 'notice-e' });
  const now = new Date(Date.now() + 120_000);
  const notices = await noticesAfter(() =>
    applyEventBatch(app.db.pool, app.catalog, [stat('notice-e', 'enemy_kills', 12)], now),
  );
  expect(notices).toEqual([]);
  const messages = await app.db.pool<{ type: string; goal_id: string }[]>`
    select type, goal_id from outbox_messages where user_id = 'notice-e' and occurred_at = ${now}`;
  expect([...messages]).toEqual([{ type: 'goal.completed', goal_id: 'defeat-10-enemies' }]);
});

test('a flush that writes no row sends nothing', async () => {
  const first = stat('notice-d', 'enemy_kills', 2);
  // Earlier notices arrive after their commits; wait them out so none lands in the batch below.
  await noticesAfter(async () => {
    await app.request('POST', '/v1/challenges/initialize', { user: 'notice-d' });
    await applyEventBatch(app.db.pool, app.catalog, [first], new Date());
  });
  // A redelivery, and a stat no goal counts.
  const notices = await noticesAfter(() =>
    applyEventBatch(
      app.db.pool,
      app.catalog,
      [first, stat('notice-d', 'no_goal_counts_this', 7)],
      new Date(),
    ),
  );
  expect(notices).toEqual([]);
});

test('a flush of many players splits its notice, every player named once', async () => {
  const users = Array.from(
    { length: 400 },
    (_, i) => `notice-many-${String(i).padStart(4, '0')}-${'x'.repeat(20)}`,
  );
  await Promise.all(users.map((user) => app.request('POST', '/v1/challenges/initialize', { user })));
  const notices = await noticesAfter(() =>
    applyEventBatch(
      app.db.pool,
      app.catalog,
      users.map((user) => stat(user, 'enemy_kills', 5)),
      new Date(),
    ),
  );
  expect(notices.length).toBeGreaterThan(1);
  const named = notices.flatMap((notice) => notice.changes);
  expect(named.map((change) => change.userId).sort()).toEqual(users);
  for (const change of named) expect(change.goalIds).toEqual(['defeat-10-enemies']);
});
