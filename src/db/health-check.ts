/**
 * The database check behind `/healthz`, on a connection of its own: through the API's pool it
 * would measure that pool's queue, and under load every replica would report the database down
 * together and leave the load balancer at once. A check that does not settle within its deadline
 * replaces the connection, so one gone silent does not fail every later check. The first check
 * that answers after an outage (a lost connection, or `OUTAGE_CHECKS` slow checks in a row) calls
 * `onRecovered`, at most once a minute: the service then replaces the API's connections too, which
 * an outage leaves broken, before its players' requests find them. A single slow check is no outage.
 */
import type { PoolOptions } from './client.ts';
import { isConnectionLost } from './db-errors.ts';
import { createRecyclablePool } from './recyclable-pool.ts';

/** This many failed checks in a row are an outage, after which the API's connections are replaced. */
const OUTAGE_CHECKS = 2;
const ANNOUNCE_EVERY_MS = 60_000;

export interface DatabaseCheck {
  /** Resolves when the database answered within `timeoutMs`; rejects otherwise. */
  check(): Promise<void>;
  close(): Promise<void>;
}

export function createDatabaseCheck(
  options: Omit<PoolOptions, 'maxConnections'> & {
    readonly timeoutMs: number;
    readonly onRecovered?: () => void;
  },
): DatabaseCheck {
  // Failed checks in a row, and when an outage was last announced over (`performance.now()`).
  let failures = 0;
  let announcedAt = Number.NEGATIVE_INFINITY;
  let recycling = false;
  const { timeoutMs, onRecovered: _, ...poolOptions } = options;
  const recyclable = createRecyclablePool({
    ...poolOptions,
    maxConnections: 1,
    statementTimeoutMs: timeoutMs,
  });
  return {
    async check() {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          if (!recycling) {
            recycling = true;
            void recyclable.recycle().finally(() => {
              recycling = false;
            });
          }
          reject(new Error(`the database did not answer within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      });
      try {
        await Promise.race([recyclable.pool`select 1`, late]);
      } catch (error) {
        // A lost or refused connection is an outage at once; a slow answer only when repeated.
        failures += isConnectionLost(error) ? OUTAGE_CHECKS : 1;
        throw error;
      } finally {
        clearTimeout(timer);
      }
      const now = performance.now();
      if (failures >= OUTAGE_CHECKS && now - announcedAt >= ANNOUNCE_EVERY_MS) {
        announcedAt = now;
        options.onRecovered?.();
      }
      failures = 0;
    },
    close: () => recyclable.pool.end({ timeout: 5 }),
  };
}
