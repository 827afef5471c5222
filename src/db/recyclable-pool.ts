/**
 * A pool handle whose underlying postgres.js pool can be replaced while the service runs.
 *
 * After the driver defect described in driver-bugs.ts, one of the pool's connections never works
 * again. Callers hold this handle (a `Pool` in every respect); `recycle()` swaps in a fresh pool
 * for every later query and closes the old one once its in-flight queries settle. Transactions
 * already started keep the connection they began on.
 */
import { createPool, type Pool, type PoolOptions, warmUp } from './client.ts';
import { countPoolUsage, type PoolUsage } from './pool-usage.ts';

export interface RecyclablePool {
  readonly pool: Pool;
  /** Replaces the underlying pool; resolves when the new pool has answered once. */
  recycle(): Promise<void>;
  /** Counted across recycles: work still running on a replaced pool holds its connection until it settles. */
  usage(): PoolUsage;
}

export function createRecyclablePool(options: PoolOptions): RecyclablePool {
  let current = createPool(options);
  // A function target so the proxy can be called as a tagged template, like the pool itself.
  const target = (() => {}) as unknown as Pool;
  const pool = new Proxy(target, {
    apply: (_target, thisArg, args) =>
      Reflect.apply(current as unknown as (...a: unknown[]) => unknown, thisArg, args),
    get: (_target, property) => {
      const value: unknown = Reflect.get(current, property);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
  const counted = countPoolUsage(pool, options.maxConnections);
  return {
    pool: counted.pool,
    usage: counted.usage,
    async recycle() {
      const old = current;
      current = createPool(options);
      void old.end({ timeout: 5 }).catch(() => {});
      await warmUp(current).catch(() => {});
    },
  };
}
