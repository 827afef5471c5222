/** The SQL of a player's data erasure. */
import type { Db } from './client.ts';

export interface ErasedRows {
  readonly progressRows: number;
  readonly claimRows: number;
  readonly processedEventIds: number;
}

/**
 * Deletes everything stored for one player in one statement, so in one transaction: progress rows
 * and claims ledger rows of the namespace, the player's stat values, the player's outbox messages
 * (delivered or not: an erased player is not announced afterwards), and the processed event ids
 * recorded with the player (ids from before the `user_id` column carry no user and age out with
 * their retention instead). Of each ledger row only a digest of the claim and its earning number
 * stay (sql/0021), so that a goal earned again is granted under a new key. Idempotent: erasing an
 * erased player deletes nothing.
 *
 * The stats go first, then the goal rows: the order every writer locks them in (db/stat-values.ts
 * `takeOverStats`), so an erasure and a flush of the same player wait for each other instead of
 * deadlocking. The subqueries of the final select run in their order, each deleting as it is read.
 */
export async function erasePlayerRows(db: Db, userId: string, namespace: string): Promise<ErasedRows> {
  const [counts] = await db<{ progress: string; claims: string; events: string }[]>`
    with stats as (
      delete from user_stat_values where user_id = ${userId} returning 1
    ), progress as (
      delete from user_goal_progress where user_id = ${userId} and namespace = ${namespace} returning 1
    ), claims as (
      delete from reward_claims where user_id = ${userId} and namespace = ${namespace}
      returning claim_digest(namespace, user_id, goal_id, period) as digest, earning
    ), kept as (
      insert into erased_claims (digest, earning) select digest, earning from claims
      on conflict (digest) do update set earning = greatest(erased_claims.earning, excluded.earning)
    ), events as (
      delete from processed_events where user_id = ${userId} returning 1
    ), messages as (
      delete from outbox_messages where user_id = ${userId} and namespace = ${namespace}
    )
    select (select count(*) from stats) as stats, (select count(*) from progress) as progress,
      (select count(*) from claims) as claims, (select count(*) from events) as events`;
  return {
    progressRows: Number(counts?.progress ?? 0),
    claimRows: Number(counts?.claims ?? 0),
    processedEventIds: Number(counts?.events ?? 0),
  };
}
