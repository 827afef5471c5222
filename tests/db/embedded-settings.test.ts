/**
 * The embedded PostgreSQL runs with the settings the service tunes it to (src/db/embedded-settings.ts),
 * on a server of this file's own: the shared test server may be another PostgreSQL.
 */
import { describe, expect, test } from 'bun:test';
import postgres from 'postgres';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { EMBEDDED_SETTINGS } from '../../src/db/embedded-settings.ts';
import { useOwnPostgres } from '../helpers/own-postgres.ts';

const database = useOwnPostgres('embedded-settings');

describe('the embedded PostgreSQL', () => {
  test('runs with every tuned setting, and writes page images compressed', async () => {
    const server = await database.start(await freePort());
    const sql = postgres(server.url, { max: 1, onnotice: () => {} });
    try {
      for (const [name, value] of Object.entries(EMBEDDED_SETTINGS)) {
        const [row] = await sql<{ value: string }[]>`select current_setting(${name}) as value`;
        expect({ name, value: row?.value }).toEqual({ name, value });
      }

      // The first change of a page after a checkpoint logs the whole 8 kB page. Progress rows are
      // repetitive (the same ids and statuses over and over), and so compress well.
      await sql`create table pages (id int primary key, note text not null)`;
      await sql`insert into pages select n, repeat('challenge-001-goal-01 in_progress ', 3) from generate_series(1, 200) n`;
      const walOfFirstChange = async (id: number): Promise<number> => {
        await sql`checkpoint`;
        const [before] = await sql<{ lsn: string }[]>`select pg_current_wal_insert_lsn()::text as lsn`;
        await sql`update pages set note = note || '.' where id = ${id}`;
        const [after] = await sql<{ bytes: number }[]>`
          select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), ${before?.lsn ?? '0/0'}::pg_lsn)::float8 as bytes`;
        return after?.bytes ?? 0;
      };
      const compressed = await walOfFirstChange(1);
      await sql`set wal_compression = off`;
      const plain = await walOfFirstChange(2);
      expect(plain).toBeGreaterThan(8000);
      expect(compressed).toBeLessThan(plain / 2);
    } finally {
      await sql.end();
    }
  }, 60_000);
});
