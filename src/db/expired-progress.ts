/** The SQL of the expired-row cleanup: rows of rotating goals whose period ended long ago. */
import type { DisposableGoal } from '../domain/expired-rows.ts';
import type { Db } from './client.ts';

/**
 * Deletes at most `limit` rows whose period ended before `endedBefore` and that `goals` says carry
 * nothing the service would not rebuild (see domain/expired-rows.ts). Found through the partial
 * index on `expires_at`. Rows another writer holds are skipped (next batch or cycle); a row that
 * writer moved into a new period no longer matches, because the locked row is checked again.
 */
export async function deleteExpiredProgress(
  db: Db,
  options: {
    readonly namespace: string;
    readonly endedBefore: Date;
    readonly goals: readonly DisposableGoal[];
    readonly limit: number;
  },
): Promise<number> {
  const { goals } = options;
  if (goals.length === 0) return 0;
  const result = await db`
    with doomed as (
      select p.user_id, p.goal_id
      from user_goal_progress p
      join unnest(
        ${goals.map((goal) => goal.goalId)}::text[],
        ${db.array(goals.map((goal) => goal.unclaimedStartsOver))}::boolean[],
        ${db.array(goals.map((goal) => goal.claimedStartsOver))}::boolean[],
        ${db.array(goals.map((goal) => goal.defaultAssigned))}::boolean[]
      ) as g(goal_id, unclaimed_starts_over, claimed_starts_over, default_assigned)
        on g.goal_id = p.goal_id
      where p.expires_at is not null and p.expires_at < ${options.endedBefore}
        and p.namespace = ${options.namespace}
        and case when p.status = 'claimed' then g.claimed_starts_over else g.unclaimed_starts_over end
        and p.is_active = g.default_assigned
      limit ${options.limit}
      for update of p skip locked
    )
    delete from user_goal_progress t using doomed d
    where t.user_id = d.user_id and t.goal_id = d.goal_id`;
  return result.count;
}
