import { afterAll, expect, test } from 'bun:test';
import { claimEventIds } from '../../src/db/event-progress.ts';
import { createLogger } from '../../src/log.ts';
import { startDedupCleanup } from '../../src/pipeline/dedup-cleanup.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
afterAll(() => db.drop());

test('processed event ids older than the retention window are deleted, newer ones kept', async () => {
  const now = new Date('2026-06-10T12:00:00Z');
  const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
  await claimEventIds(db.pool, ['old-1', 'old-2'], hoursAgo(30));
  await claimEventIds(db.pool, ['recent-1'], hoursAgo(2));
  const cleanup = startDedupCleanup({
    db: db.pool,
    retentionMs: 24 * 3_600_000,
    intervalMs: 3_600_000,
    logger: createLogger('fatal'),
    clock: () => now,
  });
  try {
    expect(await cleanup.runOnce()).toBe(2);
    const rows = await db.pool<
      { event_id: string }[]
    >`select event_id from processed_events order by event_id`;
    expect(rows.map((row) => row.event_id)).toEqual(['recent-1']);
    // A kept id still de-duplicates a redelivery.
    expect([...(await claimEventIds(db.pool, ['recent-1', 'new-1'], now))]).toEqual(['new-1']);
  } finally {
    cleanup.stop();
  }
});
