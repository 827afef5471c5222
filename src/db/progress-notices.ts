/**
 * Notifications of changed progress. The outbox trigger (sql/0009_outbox.sql) notifies
 * `challenge_outbox` for the changes it records; progress that only moved is not recorded, so its
 * writers send `challenge_progress` notices themselves (domain/progress-notice.ts), in their own
 * transaction: PostgreSQL delivers them at commit, and never for a change rolled back.
 */
import type { Db } from './client.ts';

export const OUTBOX_CHANNEL = 'challenge_outbox';
export const PROGRESS_CHANNEL = 'challenge_progress';

/** Queues the payloads on `challenge_progress`: one statement however many there are. */
export async function notifyProgress(db: Db, payloads: readonly string[]): Promise<void> {
  if (payloads.length === 0) return;
  await db`select pg_notify(${PROGRESS_CHANNEL}, payload) from unnest(${payloads as string[]}::text[]) as payload`;
}
