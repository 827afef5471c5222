import { afterAll, describe, expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { createPool } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { MIGRATIONS } from '../../src/db/migrations.ts';
import { adminUrl, createTestDb, withDatabase } from '../helpers/test-db.ts';

const db = await createTestDb();
afterAll(() => db.drop());

describe('migrations', () => {
  test('every file in sql/ is listed, in order', () => {
    const files = readdirSync(new URL('../../sql/', import.meta.url))
      .filter((file) => file.endsWith('.sql'))
      .sort()
      .map((file) => file.replace(/\.sql$/, ''));
    expect(MIGRATIONS.map((migration) => migration.version)).toEqual(files);
  });

  test('are recorded and not applied twice, also by replicas starting together', async () => {
    const results = await Promise.all([migrate(db.pool, MIGRATIONS), migrate(db.pool, MIGRATIONS)]);
    expect(results).toEqual([[], []]);
    const rows = await db.pool<{ version: string }[]>`select version from schema_migrations order by version`;
    expect(rows.map((row) => row.version)).toEqual(MIGRATIONS.map((migration) => migration.version));
  });

  test('a fresh database gets every migration exactly once under concurrent starts', async () => {
    await using fresh = await createEmptyDb();
    const results = await Promise.all([1, 2, 3].map(() => migrate(fresh.pool, MIGRATIONS)));
    expect(results.flat().sort()).toEqual(MIGRATIONS.map((migration) => migration.version));
  });

  test('an upgraded deployment that delivers webhooks keeps delivering; a new database starts unrenewed', async () => {
    const renewal = async (pool: typeof db.pool) => [
      ...(await pool<{ on: boolean; renewed: boolean }[]>`
        select webhook_delivery as on, webhook_renewed_at is not null as renewed from outbox_settings`),
    ];
    await using upgraded = await createEmptyDb();
    const renewedAt = MIGRATIONS.findIndex(
      (migration) => migration.version === '0019_outbox_delivery_renewed',
    );
    await migrate(upgraded.pool, MIGRATIONS.slice(0, renewedAt));
    await upgraded.pool`update outbox_settings set webhook_delivery = true`;
    await migrate(upgraded.pool, MIGRATIONS);
    expect(await renewal(upgraded.pool)).toEqual([{ on: true, renewed: true }]);
    await using fresh = await createEmptyDb();
    await migrate(fresh.pool, MIGRATIONS);
    expect(await renewal(fresh.pool)).toEqual([{ on: true, renewed: false }]);
  });

  test('timestamps are stored as timestamptz', async () => {
    const rows = await db.pool<{ column_name: string; data_type: string }[]>`
      select column_name, data_type from information_schema.columns
      where table_name = 'user_goal_progress' and column_name like '%_at'`;
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const row of rows) expect(row.data_type).toBe('timestamp with time zone');
  });
});

async function createEmptyDb() {
  const name = `empty_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = createPool({ url: adminUrl(), maxConnections: 1 });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const pool = createPool({ url: withDatabase(adminUrl(), name), maxConnections: 4 });
  return {
    pool,
    [Symbol.asyncDispose]: async () => {
      await pool.end();
      const dropper = createPool({ url: adminUrl(), maxConnections: 1 });
      await dropper.unsafe(`drop database ${name} with (force)`);
      await dropper.end();
    },
  };
}
