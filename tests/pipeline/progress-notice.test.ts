/**
 * The event flush notifies `challenge_progress` once per batch that changed rows, naming the
 * players whose rows changed and the instant it stamped on them, at commit; a batch that changes
 * nothing sends nothing.
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

test('a flush names the players whose rows changed, with the rows’ updated_at', async () => {
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
  expect([...(notices[0]?.userIds ?? [])].sort()).toEqual(['notice-a', 'notice-b']);
  const stamped = await app.db.pool<{ user_id: string }[]>`
    select user_id from user_goal_progress where updated_at = ${now} order by user_id`;
  expect(stamped.map((row) => row.user_id)).toEqual(['notice-a', 'notice-b']);
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
  expect(notices.flatMap((notice) => notice.userIds).sort()).toEqual(users);
});
