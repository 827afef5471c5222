/**
 * postgres.js 3.4.9 could send a transaction's BEGIN on a connection without reserving it for the
 * transaction (porsager/postgres#823, #1189): when BEGIN was pipelined behind other queries and
 * filled the connection's pipeline, or when the socket's buffer was full. The transaction then
 * failed with UNSAFE_TRANSACTION (a claim answered 500 under overload) and the connection went back
 * to the pool still inside it, so other callers' statements ran in that transaction. The driver is
 * patched (patches/postgres@3.4.9.patch); this is the reproduction that failed before the patch.
 */
import { afterAll, expect, test } from 'bun:test';
import postgres from 'postgres';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
afterAll(() => db.drop());

test('transactions started while every connection is busy each get a connection of their own', async () => {
  // A short pipeline makes the boundary easy to reach; the default (100) reaches it under overload.
  // `max_pipeline` is a driver option its type declarations leave out.
  const options = { max: 3, max_pipeline: 2, onnotice: () => {} };
  const sql = postgres(db.url, options as Parameters<typeof postgres>[1]);
  try {
    await sql`create table if not exists driver_tx (n int)`;
    const failures: string[] = [];
    for (let round = 0; round < 10; round++) {
      // Every connection busy, then queries queued in this order: two plain ones, a transaction,
      // and again, so that a BEGIN lands where it fills a connection's pipeline.
      // (A query is sent at the next tick unless executed at once; a transaction's BEGIN is at once.)
      const busy = Array.from({ length: 3 }, () => sql`select pg_sleep(0.05)`.execute());
      const queued: Promise<unknown>[] = [];
      const transactions: Promise<boolean | undefined>[] = [];
      for (let i = 0; i < 5; i++) {
        queued.push(sql`select 1`.execute(), sql`select 2`.execute());
        const transaction = sql
          .begin(async (tx) => {
            await tx`insert into driver_tx values (${round * 10 + i})`;
            // Inside a transaction block: now() is the transaction's start, not this statement's.
            const [state] = await tx<{ in_tx: boolean }[]>`select now() <> statement_timestamp() as in_tx`;
            return state?.in_tx;
          })
          .catch((error: { code?: string }) => {
            failures.push(error.code ?? String(error));
            return undefined;
          });
        transactions.push(transaction);
      }
      await Promise.all([...busy, ...queued]);
      expect(await Promise.all(transactions)).toEqual([true, true, true, true, true]);
    }
    expect(failures).toEqual([]);
    const [count] = await sql<{ n: number }[]>`select count(*)::int as n from driver_tx`;
    expect(count?.n).toBe(50);
    // No connection was left inside a transaction.
    const idle = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and state = 'idle in transaction'`;
    expect(idle[0]?.n).toBe(0);
  } finally {
    await sql.end({ timeout: 5 });
  }
}, 30_000);
