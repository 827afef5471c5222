/**
 * How much of a pool is in use, counted at our own pool handle. postgres.js keeps its connection
 * queues (open, busy, reserved) private and calls no hook when a connection opens, so the pool
 * cannot be asked; instead the handle counts the operations in flight through it.
 *
 * An operation holds one connection while it runs: a query from the moment it is awaited until it
 * settles, a transaction (`begin`) for its whole callback, a reserved connection until `release()`.
 * postgres.js gives each one a connection of its own while any is free, so up to `max` operations in
 * flight are as many connections in use; past `max` the rest wait (queued, or pipelined behind a
 * busy connection). Idle connections are not counted: connections open on demand and close after
 * `idle_timeout`, and nothing reports either.
 */
import type { Pool } from './client.ts';

export interface PoolUsage {
  readonly maxConnections: number;
  /** Connections running an operation, at most `maxConnections`. */
  readonly inUse: number;
  /** Operations waiting for a connection. */
  readonly waiting: number;
}

export interface CountedPool {
  /** The same pool; queries, transactions and reservations made through it are counted. */
  readonly pool: Pool;
  usage(): PoolUsage;
}

export function countPoolUsage(pool: Pool, maxConnections: number): CountedPool {
  let inFlight = 0;
  const started = () => {
    inFlight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      inFlight--;
    };
  };
  const untilSettled = <T>(promise: Promise<T>): Promise<T> => {
    const finish = started();
    promise.then(finish, finish);
    return promise;
  };

  const counted = new Proxy(pool, {
    apply: (target, thisArg, args) => countWhenAwaited(Reflect.apply(target, thisArg, args), started),
    get: (target, property, receiver) => {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      switch (property) {
        case 'unsafe':
        case 'file':
          return (...args: unknown[]) => countWhenAwaited(Reflect.apply(value, target, args), started);
        case 'begin':
          return (...args: unknown[]) => untilSettled(Reflect.apply(value, target, args) as Promise<unknown>);
        case 'reserve':
          return async () => {
            const finish = started();
            try {
              const reserved = (await Reflect.apply(value, target, [])) as { release(): void };
              const release = reserved.release;
              reserved.release = () => {
                finish();
                release();
              };
              return reserved;
            } catch (error) {
              finish();
              throw error;
            }
          };
        default:
          return value;
      }
    },
  });
  return {
    pool: counted,
    usage: () => ({
      maxConnections,
      inUse: Math.min(inFlight, maxConnections),
      waiting: Math.max(0, inFlight - maxConnections),
    }),
  };
}

/**
 * A postgres.js query runs when it is first awaited (`then`; `catch` and `finally` call `then`), and
 * a query that is never awaited is a fragment inside another query. Patching `then` counts the
 * query exactly when it runs, without running fragments. Helper results (`sql(rows)`) are no
 * queries and pass through.
 */
function countWhenAwaited<T>(query: T, started: () => () => void): T {
  if (typeof query !== 'object' || query === null || !('then' in query)) return query;
  const thenable = query as { then: (...args: unknown[]) => unknown };
  const then = thenable.then;
  let counted = false;
  // biome-ignore lint/suspicious/noThenProperty: the query's own `then` is where it starts running.
  thenable.then = function (this: unknown, ...args: unknown[]) {
    if (!counted) {
      counted = true;
      const finish = started();
      then.call(query, finish, finish);
    }
    return then.apply(this, args);
  };
  return query;
}
