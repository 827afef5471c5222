/**
 * The rules of any stored configuration, by id, for reading old audit entries: the one in force
 * from memory, earlier ones parsed from `challenge_configs` once and kept (a handful at most).
 */
import { parseChallengeConfig } from '../config/challenge-config.ts';
import { loadConfig } from '../db/challenge-configs.ts';
import type { Db } from '../db/client.ts';
import { type Catalog, createCatalog } from '../domain/catalog.ts';
import type { LiveCatalog } from './live-catalog.ts';

const KEPT = 16;

export function createConfigCatalogs(deps: {
  db: Db;
  live: LiveCatalog;
}): (configId: number) => Promise<Catalog | undefined> {
  const kept = new Map<number, Catalog | undefined>();
  return async (configId) => {
    if (configId === deps.live.inForce().id) return deps.live.current();
    if (kept.has(configId)) return kept.get(configId);
    const catalog = await storedCatalog(deps.db, configId);
    if (kept.size >= KEPT) kept.delete(kept.keys().next().value as number);
    kept.set(configId, catalog);
    return catalog;
  };
}

/** The rules of one stored configuration; undefined when there is none or this release cannot read it. */
export async function storedCatalog(db: Db, configId: number): Promise<Catalog | undefined> {
  const stored = await loadConfig(db, configId);
  try {
    return stored && createCatalog(parseChallengeConfig(stored.document, `stored configuration ${configId}`));
  } catch {
    // Written by a newer release: the caller falls back to the rules in force.
    return undefined;
  }
}
