/**
 * Every connection sets the session settings our SQL relies on, whatever the server's or the
 * database's defaults: dates render as YYYY-MM-DD (`progress_day::text`) and instants in UTC.
 */
import { afterAll, expect, test } from 'bun:test';
import { createPool } from '../../src/db/client.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
afterAll(() => db.drop());

test('a database whose defaults are DateStyle SQL/DMY and a non-UTC time zone still reads dates and instants the same', async () => {
  await db.pool.unsafe(`alter database ${db.name} set datestyle = 'SQL, DMY'`);
  await db.pool.unsafe(`alter database ${db.name} set timezone = 'America/New_York'`);
  const plain = createPool({ url: db.url, maxConnections: 1 });
  try {
    const [row] = await plain<{ day: string; instant: string; datestyle: string; timezone: string }[]>`
      select '2026-05-01'::date::text as day, '2026-05-01T23:30:00Z'::timestamptz::text as instant,
        current_setting('datestyle') as datestyle, current_setting('timezone') as timezone`;
    expect(row).toEqual({
      day: '2026-05-01',
      instant: '2026-05-01 23:30:00+00',
      datestyle: 'ISO, YMD',
      timezone: 'UTC',
    });
  } finally {
    await plain.end();
  }
});

test('statement and lock timeouts bound a statement on a database that answers but is blocked', async () => {
  const bounded = createPool({ url: db.url, maxConnections: 1, statementTimeoutMs: 300, lockTimeoutMs: 200 });
  const holder = createPool({ url: db.url, maxConnections: 1 });
  try {
    await holder.begin(async (tx) => {
      await tx`lock table processed_events in access exclusive mode`;
      const started = performance.now();
      const error = await bounded`select count(*) from processed_events`.catch((e: { code?: string }) => e);
      expect(error).toMatchObject({ code: '55P03' });
      expect(performance.now() - started).toBeLessThan(1_000);
    });
    const error = await bounded`select pg_sleep(2)`.catch((e: { code?: string }) => e);
    expect(error).toMatchObject({ code: '57014' });
  } finally {
    await Promise.all([bounded.end(), holder.end()]);
  }
});

test('a transaction its client leaves idle is ended by the server, and its locks released', async () => {
  const bounded = createPool({
    url: db.url,
    maxConnections: 1,
    statementTimeoutMs: 5_000,
    idleInTransactionTimeoutMs: 300,
  });
  const other = createPool({
    url: db.url,
    maxConnections: 1,
    statementTimeoutMs: 5_000,
    lockTimeoutMs: 3_000,
  });
  try {
    const [setting] = await other<{ value: string }[]>`
      select current_setting('idle_in_transaction_session_timeout') as value`;
    expect(setting?.value).toBe('1min');
    const left = await bounded.reserve();
    await left`begin`;
    await left`lock table processed_events in access exclusive mode`;
    // The client goes quiet, as one cut off would: the lock goes with the session.
    const started = performance.now();
    await other`select count(*) from processed_events`;
    expect(performance.now() - started).toBeLessThan(2_500);
    left.release();
  } finally {
    await Promise.all([bounded.end({ timeout: 1 }), other.end()]);
  }
});
