/**
 * The stat table starts empty on a fresh database and fills up with the first events, while the
 * service's connections keep the plans they made at the start. Those plans must probe the primary
 * key: a plan that hashes the keys and scans the whole table is cheapest while it is empty, and
 * cost milliseconds per flush and per list once it held the players' stats.
 */
import { afterAll, expect, test } from 'bun:test';
import type { Db } from '../../src/db/client.ts';
import { getProgressStates } from '../../src/db/progress-rows.ts';
import { readStatValues, writeStatValues } from '../../src/db/stat-values.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
afterAll(() => db.drop());

const seqScans = async (tx: Db) => {
  const [row] = await tx<{ seq_scan: number }[]>`
    select seq_scan::int from pg_stat_xact_user_tables where relname = 'user_stat_values'`;
  return row?.seq_scan ?? 0;
};

test('reads and writes of stats probe the primary key with plans made while the table was empty', async () => {
  await db.pool`alter table user_stat_values set (autovacuum_enabled = false)`;
  const keys = Array.from({ length: 20 }, (_, i) => ({ userId: `user-${i}`, statCode: 'kills' }));
  const at = new Date('2026-05-01T12:00:00Z');
  await db.pool.begin(async (tx) => {
    // The plan a connection reuses for every later call, made now, on the empty table.
    await tx`set local plan_cache_mode = force_generic_plan`;
    expect((await readStatValues(tx, keys, { lock: false })).size).toBe(0);
    const written = await writeStatValues(
      tx,
      keys.map((key) => ({ ...key, value: 5, lastEventAt: at, read: undefined })),
      at,
    );
    expect(written).toBe(20);
    const read = await readStatValues(tx, keys, { lock: true });
    expect(read.size).toBe(20);
    const again = await writeStatValues(
      tx,
      keys.map((key) => ({
        ...key,
        value: 6,
        lastEventAt: at,
        read: read.get(`${key.userId}\u0000kills`),
      })),
      at,
    );
    expect(again).toBe(20);
    await getProgressStates(tx, 'user-3');
    expect(await seqScans(tx)).toBe(0);
  });
});
