/**
 * A player's data erasure: everything stored for the player goes, in one transaction. Unlimited
 * here; the player route adds its own rate limit, and an operator route can call this directly.
 */
import type { Db } from '../db/client.ts';
import { type ErasedRows, erasePlayerRows } from '../db/erasure.ts';

export interface PlayerErasure {
  /** Idempotent: erasing an erased player deletes nothing. */
  erasePlayer(userId: string): Promise<ErasedRows>;
}

export function createPlayerErasure(deps: { db: Db; namespace: string }): PlayerErasure {
  return {
    erasePlayer: (userId) => erasePlayerRows(deps.db, userId, deps.namespace),
  };
}
