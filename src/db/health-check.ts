/**
 * The database check behind `/healthz`, on a connection of its own: through the API's pool it
 * would measure that pool's queue, and under load every replica would report the database down
 * together and leave the load balancer at once. A check that does not settle within its deadline
 * replaces the connection, so one gone silent does not fail every later check. The first check
 * that answers after failing ones calls `onRecovered`: the service then replaces the API's
 * connections too, which an outage leaves broken, before its players' requests find them.
 */
import type { PoolOptions } from './client.ts';
import { createRecyclablePool } from './recyclable-pool.ts';

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
  let failing = false;
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
          void recyclable.recycle();
          reject(new Error(`the database did not answer within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      });
      try {
        await Promise.race([recyclable.pool`select 1`, late]);
      } catch (error) {
        failing = true;
        throw error;
      } finally {
        clearTimeout(timer);
      }
      if (failing) options.onRecovered?.();
      failing = false;
    },
    close: () => recyclable.pool.end({ timeout: 5 }),
  };
}
