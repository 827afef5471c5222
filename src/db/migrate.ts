import type { Pool } from './client.ts';
import type { Migration } from './migrations.ts';

/** Arbitrary constant shared by every replica: the advisory lock serialising migrations. */
const MIGRATION_LOCK_KEY = 7_352_119_004;

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in one transaction under an
 * advisory lock, so replicas starting together apply each migration exactly once.
 * Returns the versions applied by this call.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[]): Promise<string[]> {
  return pool.begin(async (tx) => {
    // Another replica may hold the lock for as long as its migrations take: wait for it, unbounded
    // by the pool's statement and lock timeouts, which are meant for requests.
    await tx`set local statement_timeout = 0`;
    await tx`set local lock_timeout = 0`;
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    await tx`create table if not exists schema_migrations (
      version text primary key,
      applied_at timestamptz not null default now()
    )`;
    const rows = await tx<{ version: string }[]>`select version from schema_migrations`;
    const applied = new Set(rows.map((row) => row.version));
    const newlyApplied: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      await tx.unsafe(migration.sql);
      await tx`insert into schema_migrations (version) values (${migration.version})`;
      newlyApplied.push(migration.version);
    }
    return newlyApplied;
  });
}
