/**
 * What a phase cost PostgreSQL in row versions: the tables' insert, update and HOT-update
 * counters (`pg_stat_user_tables`) read before and after the phase, with the WAL written
 * (`pg_stat_wal`: bytes, and full-page images, which follow each checkpoint), the checkpoints
 * (`pg_stat_checkpointer`) and the autovacuum runs per table. A busy backend reports its
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
  readonly autovacuums: number;
}

export interface WalCounters {
  readonly bytes: number;
  readonly fullPageImages: number;
  readonly checkpoints: number;
}

export interface TableSnapshot {
  readonly tables: ReadonlyMap<string, TableCounters>;
  readonly wal: WalCounters;
}

export interface PhaseWrites {
  /** Per table: what the phase added to each counter. */
  readonly tables: Readonly<Record<string, TableCounters>>;
  /** Inserts plus updates over all tables, per event answered OK in the phase. */
  readonly rowVersionsPerEvent: number | undefined;
  /** Of `user_goal_progress` updates, the share that were HOT (no index entry written). */
  readonly progressHotShare: number | undefined;
  /** What the phase added to the WAL counters. */
  readonly wal: WalCounters;
  readonly walBytesPerEvent: number | undefined;
}

/** Long enough for every backend, idle ones too, to have reported its counters. */
const STATS_DELAY_MS = 11_000;

export async function readTableCounters(databaseUrl: string, settle = false): Promise<TableSnapshot> {
  if (settle) await Bun.sleep(STATS_DELAY_MS);
  const db = createPool({ url: databaseUrl, maxConnections: 1 });
  try {
    const rows = await db<
      { relname: string; ins: string; upd: string; hot: string; del: string; vac: string }[]
    >`
      select relname, n_tup_ins as ins, n_tup_upd as upd, n_tup_hot_upd as hot, n_tup_del as del,
        autovacuum_count as vac
      from pg_stat_user_tables`;
    const [wal] = await db<{ bytes: string; fpi: string; checkpoints: string }[]>`
      select w.wal_bytes::text as bytes, w.wal_fpi as fpi, c.num_timed + c.num_requested as checkpoints
      from pg_stat_wal w, pg_stat_checkpointer c`;
    return {
      tables: new Map(
        rows.map((row) => [
          row.relname,
          {
            inserted: Number(row.ins),
            updated: Number(row.upd),
            hotUpdated: Number(row.hot),
            deleted: Number(row.del),
            autovacuums: Number(row.vac),
          },
        ]),
      ),
      wal: {
        bytes: Number(wal?.bytes ?? 0),
        fullPageImages: Number(wal?.fpi ?? 0),
        checkpoints: Number(wal?.checkpoints ?? 0),
      },
    };
  } finally {
    await db.end();
  }
}

export function phaseWrites(before: TableSnapshot, after: TableSnapshot, eventsOk: number): PhaseWrites {
  const tables: Record<string, TableCounters> = {};
  let versions = 0;
  for (const [name, end] of after.tables) {
    const start = before.tables.get(name) ?? {
      inserted: 0,
      updated: 0,
      hotUpdated: 0,
      deleted: 0,
      autovacuums: 0,
    };
    const delta = {
      inserted: end.inserted - start.inserted,
      updated: end.updated - start.updated,
      hotUpdated: end.hotUpdated - start.hotUpdated,
      deleted: end.deleted - start.deleted,
      autovacuums: end.autovacuums - start.autovacuums,
    };
    if (delta.inserted + delta.updated + delta.deleted + delta.autovacuums === 0) continue;
    tables[name] = delta;
    versions += delta.inserted + delta.updated;
  }
  const progress = tables['user_goal_progress'];
  const wal = {
    bytes: after.wal.bytes - before.wal.bytes,
    fullPageImages: after.wal.fullPageImages - before.wal.fullPageImages,
    checkpoints: after.wal.checkpoints - before.wal.checkpoints,
  };
  return {
    tables,
    wal,
    walBytesPerEvent: eventsOk > 0 ? wal.bytes / eventsOk : undefined,
    rowVersionsPerEvent: eventsOk > 0 ? versions / eventsOk : undefined,
    progressHotShare: progress && progress.updated > 0 ? progress.hotUpdated / progress.updated : undefined,
  };
}
