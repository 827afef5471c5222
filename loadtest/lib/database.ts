/**
 * The load test's own SQL: reading the audit counters for the loss check, and the PostgreSQL
 * ceiling — how many rows per second a bare UNNEST upsert into a table shaped like
 * `user_goal_progress` achieves on this machine, with no service in between.
 */
import { createPool } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { MIGRATIONS } from '../../src/db/migrations.ts';
import { AUDIT_GOAL_ID } from './workload.ts';

/** The audit goal's progress per user; empty when the target's configuration has no audit goal. */
export async function readAuditCounts(databaseUrl: string): Promise<Map<string, number>> {
  const db = createPool({ url: databaseUrl, maxConnections: 1 });
  try {
    const rows = await db<{ user_id: string; progress: number }[]>`
      select user_id, progress from user_goal_progress where goal_id = ${AUDIT_GOAL_ID}`;
    return new Map(rows.map((row) => [row.user_id, row.progress]));
  } finally {
    await db.end();
  }
}

export interface UpsertCeiling {
  readonly rowsPerSecond: number;
  readonly batches: number;
  readonly batchSize: number;
  readonly connections: number;
  readonly batchP50Ms: number;
}

/**
 * Upserts batches of existing keys (so every row is an update, as event flushes are) from
 * `connections` concurrent loops for `seconds`. Keys are sorted within a batch, as the service
 * does, so concurrent batches cannot deadlock.
 */
export async function measureUpsertCeiling(
  databaseUrl: string,
  options: {
    seconds: number;
    batchSize?: number;
    connections?: number;
    users?: number;
    goalsPerUser?: number;
  },
): Promise<UpsertCeiling> {
  const batchSize = options.batchSize ?? 1000;
  const connections = options.connections ?? 2;
  const users = options.users ?? 10_000;
  const goals = options.goalsPerUser ?? 100;
  const db = createPool({ url: databaseUrl, maxConnections: connections });
  const table = 'loadtest_upsert_ceiling';
  try {
    // A fresh database gets the service's schema, so the copy has the real table's shape and indexes.
    await migrate(db, MIGRATIONS);
    await db`drop table if exists ${db(table)}`;
    await db`create table ${db(table)} (like user_goal_progress including all)`;
    await db`
      insert into ${db(table)} (user_id, goal_id, challenge_id, namespace)
      select 'user-' || lpad(u::text, 6, '0'), 'goal-' || g, 'challenge', 'loadtest'
      from generate_series(1, ${users}) as u, generate_series(1, ${goals}) as g`;
    await db`analyze ${db(table)}`;
    const durations: number[] = [];
    const endAt = performance.now() + options.seconds * 1000;
    const loop = async () => {
      while (performance.now() < endAt) {
        const keys = new Set<string>();
        while (keys.size < batchSize) {
          const u = 1 + Math.floor(Math.random() * users);
          const g = 1 + Math.floor(Math.random() * goals);
          keys.add(`user-${String(u).padStart(6, '0')}\u0000goal-${g}`);
        }
        const sorted = [...keys].sort().map((key) => key.split('\u0000') as [string, string]);
        const started = performance.now();
        await db`
          insert into ${db(table)} (user_id, goal_id, challenge_id, namespace, progress, status, updated_at)
          select k.user_id, k.goal_id, 'challenge', 'loadtest', k.progress, 'in_progress', now()
          from unnest(
            ${sorted.map(([user]) => user)}::text[],
            ${sorted.map(([, goal]) => goal)}::text[],
            ${sorted.map(() => Math.floor(Math.random() * 1000))}::int[]
          ) as k(user_id, goal_id, progress)
          on conflict (user_id, goal_id) do update set
            progress = excluded.progress, status = excluded.status, updated_at = excluded.updated_at`;
        durations.push(performance.now() - started);
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: connections }, loop));
    const seconds = (performance.now() - started) / 1000;
    durations.sort((a, b) => a - b);
    return {
      rowsPerSecond: (durations.length * batchSize) / seconds,
      batches: durations.length,
      batchSize,
      connections,
      batchP50Ms: durations[Math.floor(durations.length / 2)] ?? Number.NaN,
    };
  } finally {
    await db`drop table if exists ${db(table)}`.catch(() => {});
    await db.end();
  }
}
