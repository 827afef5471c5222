import postgres from 'postgres';

/** A connection pool or an open transaction: every query function accepts either. */
export type Db = postgres.Sql | postgres.TransactionSql;
export type Pool = postgres.Sql;

export interface PoolOptions {
  readonly url: string;
  readonly maxConnections: number;
  /** Seconds to wait for a new connection before the query fails. */
  readonly connectTimeoutSeconds?: number;
}

export function createPool(options: PoolOptions): Pool {
  return postgres(options.url, {
    max: options.maxConnections,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 60,
    onnotice: () => {},
    // Every instant is stored as timestamptz and read back in UTC.
    connection: { TimeZone: 'UTC', application_name: 'challenge-service' },
  });
}

/**
 * postgres.js learns array type OIDs on its first connection; a first query that sends an array
 * parameter fails before that. Run one trivial query right after creating a pool.
 */
export async function warmUp(pool: Pool): Promise<void> {
  await pool`select 1`;
}
