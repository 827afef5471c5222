import { afterAll, expect, test } from 'bun:test';
import { readAuditEntries, writeAuditRows } from '../../src/db/event-audit.ts';
import { claimEventIds } from '../../src/db/event-progress.ts';
import { createLogger } from '../../src/log.ts';
import { eventRowRetentionMs, startDedupCleanup } from '../../src/pipeline/dedup-cleanup.ts';
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

test('event rows are kept for the longer of the dedup window and the audit retention', () => {
  const hours = (n: number) => n * 3_600_000;
  expect(eventRowRetentionMs({ dedupRetentionHours: 24, audit: { enabled: true, retentionDays: 7 } })).toBe(
    hours(168),
  );
  expect(eventRowRetentionMs({ dedupRetentionHours: 24, audit: { enabled: false, retentionDays: 7 } })).toBe(
    hours(24),
  );
  expect(eventRowRetentionMs({ dedupRetentionHours: 720, audit: { enabled: true, retentionDays: 7 } })).toBe(
    hours(720),
  );
});

test('audit entries go with their rows once past the retention; newer ones stay readable', async () => {
  const now = new Date('2026-07-10T12:00:00Z');
  const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
  const entry = (eventId: string, at: Date) => ({
    entry: { kind: 'login' as const, userId: 'audited', recordedAt: at, eventId, occurredAt: at, goals: [] },
    keyedByEventId: true,
  });
  await writeAuditRows(db.pool, [entry('audit-old', daysAgo(8))], daysAgo(8), { claimed: false });
  await writeAuditRows(db.pool, [entry('audit-new', daysAgo(6))], daysAgo(6), { claimed: false });
  const cleanup = startDedupCleanup({
    db: db.pool,
    retentionMs: eventRowRetentionMs({ dedupRetentionHours: 24, audit: { enabled: true, retentionDays: 7 } }),
    intervalMs: 3_600_000,
    logger: createLogger('fatal'),
    clock: () => now,
  });
  try {
    await cleanup.runOnce();
    const left = await readAuditEntries(db.pool, 'audited', { limit: 10 });
    expect(left.map((e) => (e.kind === 'admin' ? '' : e.eventId))).toEqual(['audit-new']);
  } finally {
    cleanup.stop();
  }
});
