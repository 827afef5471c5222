/**
 * What a phase cost PostgreSQL in row versions: the tables' insert, update and HOT-update
 * counters (`pg_stat_user_tables`) read before and after the phase. A busy backend reports its
 * counters about once a second, but one that went idle may hold them for up to 10 s
 * (PGSTAT_IDLE_INTERVAL): both readings wait that long, or the seeding's writes would land in the
 * phase after it.
 */
import { createPool } from '../../src/db/client.ts';

export interface TableCounters {
  readonly inserted: number;
  readonly updated: number;
  readonly hotUpdated: number;
  readonly deleted: number;
}

export type TableSnapshot = ReadonlyMap<string, TableCounters>;

export interface PhaseWrites {
  /** Per table: what the phase added to each counter. */
  readonly tables: Readonly<Record<string, TableCounters>>;
  /** Inserts plus updates over all tables, per event answered OK in the phase. */
  readonly rowVersionsPerEvent: number | undefined;
  /** Of `user_goal_progress` updates, the share that were HOT (no index entry written). */
  readonly progressHotShare: number | undefined;
}

/** Long enough for every backend, idle ones too, to have reported its counters. */
const STATS_DELAY_MS = 11_000;

export async function readTableCounters(databaseUrl: string, settle = false): Promise<TableSnapshot> {
  if (settle) await Bun.sleep(STATS_DELAY_MS);
  const db = createPool({ url: databaseUrl, maxConnections: 1 });
  try {
    const rows = await db<{ relname: string; ins: string; upd: string; hot: string; del: string }[]>`
      select relname, n_tup_ins as ins, n_tup_upd as upd, n_tup_hot_upd as hot, n_tup_del as del
      from pg_stat_user_tables`;
    return new Map(
      rows.map((row) => [
        row.relname,
        {
          inserted: Number(row.ins),
          updated: Number(row.upd),
          hotUpdated: Number(row.hot),
          deleted: Number(row.del),
        },
      ]),
    );
  } finally {
    await db.end();
  }
}

export function phaseWrites(before: TableSnapshot, after: TableSnapshot, eventsOk: number): PhaseWrites {
  const tables: Record<string, TableCounters> = {};
  let versions = 0;
  for (const [name, end] of after) {
    const start = before.get(name) ?? { inserted: 0, updated: 0, hotUpdated: 0, deleted: 0 };
    const delta = {
      inserted: end.inserted - start.inserted,
      updated: end.updated - start.updated,
      hotUpdated: end.hotUpdated - start.hotUpdated,
      deleted: end.deleted - start.deleted,
    };
    if (delta.inserted + delta.updated + delta.deleted === 0) continue;
    tables[name] = delta;
    versions += delta.inserted + delta.updated;
  }
  const progress = tables['user_goal_progress'];
  return {
    tables,
    rowVersionsPerEvent: eventsOk > 0 ? versions / eventsOk : undefined,
    progressHotShare: progress && progress.updated > 0 ? progress.hotUpdated / progress.updated : undefined,
  };
}
