import postgres from 'postgres';

/** A connection pool or an open transaction: every query function accepts either. */
export type Db = postgres.Sql | postgres.TransactionSql;
export type Pool = postgres.Sql;

export interface PoolOptions {
  readonly url: string;
  readonly maxConnections: number;
  /** Seconds to wait for a new connection before the query fails. */
  readonly connectTimeoutSeconds?: number;
  /**
   * Behind a pooler in transaction mode (PgBouncer `pool_mode = transaction`), consecutive
   * transactions may run on different server connections: statements are sent unnamed (a prepared
   * one would be missing on the next connection), and only the startup parameters PgBouncer tracks
   * are sent (it refuses others), so the timeouts below must be set on the database role there.
   */
  readonly transactionPooler?: boolean;
  /**
   * Server-side bounds on one statement and on one lock wait (0 = none). A database that answers
   * but is blocked (a migration of another replica holding a lock) then fails the statement instead
   * of holding the caller. A frozen server is bounded by the callers' own deadlines.
   */
  readonly statementTimeoutMs?: number;
  readonly lockTimeoutMs?: number;
  /**
   * With a statement timeout: a transaction whose client sends nothing for this long is ended by
   * the server (default 60 s). Our transactions wait between statements only for their own
   * client; one left open by a client cut off (a dead node, a dropped network path) would
   * otherwise hold its locks and the oldest snapshot, which every outbox reader waits behind,
   * until TCP notices, hours later.
   */
  readonly idleInTransactionTimeoutMs?: number;
  /**
   * Plan every statement afresh (sent unnamed) rather than once per connection. For tables whose
   * size changes much faster than ANALYZE follows, where a plan cached while the table was small
   * stays in use after it has grown by orders of magnitude.
   */
  readonly planEachStatement?: boolean;
  /**
   * Commits return before their WAL is on disk (`synchronous_commit = off`): only for writes a
   * crash may lose because whatever depends on them is redone (bookkeeping that a retry repeats).
   * A startup parameter, so not sent behind a transaction pooler.
   */
  readonly asynchronousCommit?: boolean;
}

export function createPool(options: PoolOptions): Pool {
  const direct = !options.transactionPooler;
  return postgres(options.url, {
    max: options.maxConnections,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 60,
    prepare: direct && !options.planEachStatement,
    onnotice: () => {},
    connection: {
      // Every instant is stored as timestamptz and read back in UTC, and dates render as YYYY-MM-DD
      // whatever the server's defaults are.
      TimeZone: 'UTC',
      DateStyle: 'ISO, YMD',
      application_name: 'challenge-service',
      ...(direct ? timeoutParameters(options) : {}),
      ...(direct && options.asynchronousCommit ? { synchronous_commit: 'off' } : {}),
    },
  });
}

const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

function timeoutParameters(options: PoolOptions): Record<string, string> {
  const parameters: Record<string, string> = {};
  if (options.statementTimeoutMs) {
    parameters['statement_timeout'] = String(options.statementTimeoutMs);
    parameters['idle_in_transaction_session_timeout'] = String(
      options.idleInTransactionTimeoutMs ?? IDLE_IN_TRANSACTION_TIMEOUT_MS,
    );
  }
  if (options.lockTimeoutMs) parameters['lock_timeout'] = String(options.lockTimeoutMs);
  return parameters;
}

/**
 * postgres.js learns array type OIDs on its first connection; a first query that sends an array
 * parameter fails before that. Run one trivial query right after creating a pool.
 */
export async function warmUp(pool: Pool): Promise<void> {
  await pool`select 1`;
}
