/**
 * Pool usage counted at the pool handle, against a real PostgreSQL: queries while they run,
 * transactions and reservations for their whole span, waiting work past the pool's size, and
 * nothing for fragments that are never run on their own.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { createPool, warmUp } from '../../src/db/client.ts';
import { countPoolUsage } from '../../src/db/pool-usage.ts';
import { createRecyclablePool } from '../../src/db/recyclable-pool.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb({ maxConnections: 1 });
const raw = createPool({ url: db.url, maxConnections: 2 });
await warmUp(raw);
const { pool, usage } = countPoolUsage(raw, 2);
afterAll(async () => {
  await raw.end({ timeout: 5 });
  await db.drop();
});

const idle = { maxConnections: 2, inUse: 0, waiting: 0 };
/** Resolves once the server runs `count` sleeps, so a check made then sees them all in flight. */
async function sleepsRunning(count: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const [row] = await db.pool<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and state = 'active' and query like 'select pg_sleep%'`;
    if ((row?.n ?? 0) >= count) return;
    await Bun.sleep(10);
  }
  throw new Error(`${count} sleeps never ran at once`);
}

describe('a counted pool', () => {
  test('counts a query while it runs, and again zero when it has answered or failed', async () => {
    expect(usage()).toEqual(idle);
    const running = pool`select pg_sleep(0.2)`;
    expect(usage().inUse).toBe(0); // not run before it is awaited
    const answered = running.then(() => 'answered');
    await sleepsRunning(1);
    expect(usage()).toEqual({ ...idle, inUse: 1 });
    expect(await answered).toBe('answered');
    expect(usage()).toEqual(idle);

    await expect(pool`select * from no_such_table`).rejects.toThrow();
    expect(usage()).toEqual(idle);
  });

  test('a fragment inside a query is not run or counted on its own', async () => {
    const fragment = pool`1 + 1`;
    const rows = await pool<{ x: number }[]>`select ${fragment} as x`;
    expect(rows[0]?.x).toBe(2);
    expect(usage()).toEqual(idle);
    const rowsFromHelper = await pool<{ a: number }[]>`select * from (values (1)) as t(${pool('a')})`;
    expect(rowsFromHelper[0]?.a).toBe(1);
    expect(usage()).toEqual(idle);
  });

  test('work past the pool size waits for a connection', async () => {
    const sleeps = [1, 2, 3].map(() => pool`select pg_sleep(0.3)`.then(() => undefined));
    await sleepsRunning(2);
    expect(usage()).toEqual({ maxConnections: 2, inUse: 2, waiting: 1 });
    await Promise.all(sleeps);
    expect(usage()).toEqual(idle);
  });

  test('a transaction holds its connection for its whole callback, a reservation until release', async () => {
    let insideTransaction = usage();
    await pool.begin(async (tx) => {
      await tx`select 1`;
      insideTransaction = usage();
    });
    expect(insideTransaction).toEqual({ ...idle, inUse: 1 });
    expect(usage()).toEqual(idle);
    await expect(
      pool.begin(async () => {
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(usage()).toEqual(idle);

    const reserved = await pool.reserve();
    expect(usage()).toEqual({ ...idle, inUse: 1 });
    await reserved`select 1`;
    reserved.release();
    reserved.release();
    expect(usage()).toEqual(idle);
  });
});

test('a recyclable pool keeps counting across a recycle, the replaced pool included', async () => {
  const recyclable = createRecyclablePool({ url: db.url, maxConnections: 3 });
  try {
    await warmUp(recyclable.pool);
    const before = recyclable.pool`select pg_sleep(0.3)`.then(() => undefined);
    await sleepsRunning(1);
    await recyclable.recycle();
    expect(recyclable.usage()).toEqual({ maxConnections: 3, inUse: 1, waiting: 0 });
    await recyclable.pool`select 1`;
    await before;
    expect(recyclable.usage()).toEqual({ maxConnections: 3, inUse: 0, waiting: 0 });
  } finally {
    await recyclable.pool.end({ timeout: 5 });
  }
});
