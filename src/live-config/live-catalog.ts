/**
 * The challenge configuration in force in this process, replaceable while it runs. Every reader
 * takes `current()` once per request or flush. A new configuration reaches the event workers
 * first (each starts using it with its next flush), then the HTTP side.
 */
import type { StoredConfigHead } from '../db/challenge-configs.ts';
import { type Catalog, type CurrentCatalog, createCatalog } from '../domain/catalog.ts';
import type { Challenge } from '../domain/types.ts';

export interface ConfigInForce extends StoredConfigHead {
  readonly document: unknown;
  readonly challenges: readonly Challenge[];
}

export interface LiveCatalog {
  readonly current: CurrentCatalog;
  inForce(): ConfigInForce;
  /** Called with each new configuration before the HTTP side uses it (the event workers). */
  onChange(listener: (config: ConfigInForce) => Promise<void>): void;
  /**
   * Puts `config` in force unless a newer one (higher id) already is. Changes are serialised: two
   * adoptions never interleave, so the workers and the HTTP side end on the same one.
   */
  adopt(config: ConfigInForce): Promise<boolean>;
}

export function createLiveCatalog(initial: ConfigInForce): LiveCatalog {
  let inForce = initial;
  let catalog: Catalog = createCatalog(initial.challenges);
  const listeners: Array<(config: ConfigInForce) => Promise<void>> = [];
  let queue: Promise<unknown> = Promise.resolve();
  return {
    current: () => catalog,
    inForce: () => inForce,
    onChange: (listener) => void listeners.push(listener),
    adopt(config) {
      const adoption = queue.then(async () => {
        if (config.id <= inForce.id) return false;
        const next = createCatalog(config.challenges);
        for (const listener of listeners) await listener(config);
        catalog = next;
        inForce = config;
        return true;
      });
      queue = adoption.catch(() => {});
      return adoption;
    },
  };
}
