/**
 * What an event flush gives its caller to announce once it committed (db/change-notices.ts): a
 * progress notice per batch that changed goals without an outbox message, naming those goals of
 * each player and the instant it stamped on them; the players it wrote outbox messages for; and
 * nothing for a batch that changes nothing.
 */
import { afterAll, expect, test } from 'bun:test';
import { type ProgressNotice, parseProgressNotice } from '../../src/domain/progress-notice.ts';
import { applyEventBatch, type BatchResult } from '../../src/pipeline/apply-events.ts';
import { statEvent } from '../helpers/pipeline-events.ts';
import { createTestApp } from '../helpers/test-app.ts';

const app = await createTestApp();
afterAll(() => app.close());

const stat = (userId: string, statCode: string, value: number) => statEvent(userId, statCode, value);

/** The batch's progress notices, as a listener parses them. */
function progressNotices(result: BatchResult): ProgressNotice[] {
  return result.notices.progress.map((payload) => {
    const notice = parseProgressNotice(payload);
    if (!notice) throw new Error(`not a progress notice: ${payload}`);
    return notice;
  });
}

async function noticesAfter(work: () => Promise<BatchResult>): Promise<ProgressNotice[]> {
  return progressNotices(await work());
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

test('a completion is left to its outbox message: its player is named for the outbox', async () => {
  await app.request('POST', '/v1/challenges/initialize', { user: 'notice-e' });
  const now = new Date(Date.now() + 120_000);
  const result = await applyEventBatch(app.db.pool, app.catalog, [stat('notice-e', 'enemy_kills', 12)], now);
  expect(progressNotices(result)).toEqual([]);
  expect(result.notices.outboxPlayers).toEqual(['notice-e']);
  const messages = await app.db.pool<{ type: string; goal_id: string }[]>`
    select type, goal_id from outbox_messages where user_id = 'notice-e' and occurred_at = ${now}`;
  expect([...messages]).toEqual([{ type: 'goal.completed', goal_id: 'defeat-10-enemies' }]);
});

test('a flush that writes no row sends nothing', async () => {
  const first = stat('notice-d', 'enemy_kills', 2);
  await app.request('POST', '/v1/challenges/initialize', { user: 'notice-d' });
  expect(progressNotices(await applyEventBatch(app.db.pool, app.catalog, [first], new Date()))).toHaveLength(
    1,
  );
  // A redelivery, and a stat no goal counts.
  const result = await applyEventBatch(
    app.db.pool,
    app.catalog,
    [first, stat('notice-d', 'no_goal_counts_this', 7)],
    new Date(),
  );
  expect(result.notices).toEqual({ outboxPlayers: [], progress: [] });
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
