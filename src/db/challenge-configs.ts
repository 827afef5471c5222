/** The SQL of the stored challenge configurations (live configuration). */
import type { Db } from './client.ts';

export type ConfigSource = 'file' | 'api';

/** One applied configuration, without its document. */
export interface StoredConfigHead {
  readonly id: number;
  readonly version: string;
  readonly source: ConfigSource;
  readonly appliedBy: string;
  readonly appliedAt: Date;
}

export interface StoredConfig extends StoredConfigHead {
  /** The document as given, in the configuration file's format. */
  readonly document: unknown;
}

interface HeadRow {
  id: string;
  version: string;
  source: ConfigSource;
  applied_by: string;
  applied_at: Date;
}

const head = (row: HeadRow): StoredConfigHead => ({
  id: Number(row.id),
  version: row.version,
  source: row.source,
  appliedBy: row.applied_by,
  appliedAt: row.applied_at,
});

/** Records a configuration as applied now; it is the newest, so the one in force. */
export interface NewConfig {
  readonly version: string;
  readonly document: unknown;
  readonly source: ConfigSource;
  readonly appliedBy: string;
}

/** Arbitrary constant shared by every replica: the advisory lock that records configurations one at a time. */
const CONFIG_RECORD_LOCK = 7_352_119_005;

/** Until the transaction ends, no other replica records a configuration. */
export async function lockConfigRecords(db: Db): Promise<void> {
  await db`select pg_advisory_xact_lock(${CONFIG_RECORD_LOCK})`;
}

/** Lifts the statement and lock timeouts for the rest of the transaction (a start-up that must finish its work). */
export async function unboundedStatements(db: Db): Promise<void> {
  await Promise.all([db`set local statement_timeout = 0`, db`set local lock_timeout = 0`]);
}

export async function insertConfig(db: Db, config: NewConfig): Promise<StoredConfigHead> {
  // The document goes as text: postgres.js would encode a string parameter typed jsonb as a JSON string.
  const [row] = await db<HeadRow[]>`
    insert into challenge_configs (version, document, source, applied_by)
    values (${config.version}, ${JSON.stringify(config.document)}::text::jsonb, ${config.source}, ${config.appliedBy})
    returning id, version, source, applied_by, applied_at`;
  if (!row) throw new Error('insert into challenge_configs returned no row');
  return head(row);
}

/** The configuration in force: the newest. Undefined before any was recorded. */
export async function latestConfigHead(db: Db): Promise<StoredConfigHead | undefined> {
  const [row] = await db<HeadRow[]>`
    select id, version, source, applied_by, applied_at from challenge_configs order by id desc limit 1`;
  return row && head(row);
}

export async function loadConfig(db: Db, id: number): Promise<StoredConfig | undefined> {
  const [row] = await db<(HeadRow & { document: unknown })[]>`
    select id, version, source, applied_by, applied_at, document from challenge_configs where id = ${id}`;
  return row && { ...head(row), document: row.document };
}

/**
 * The newest configuration and every other recorded in the last `withinMs` (database time), newest
 * first; none before any was recorded.
 */
export async function recentConfigs(db: Db, withinMs: number): Promise<StoredConfig[]> {
  const rows = await db<(HeadRow & { document: unknown })[]>`
    select id, version, source, applied_by, applied_at, document from challenge_configs
    where id = (select max(id) from challenge_configs)
      or applied_at > now() - make_interval(secs => ${withinMs / 1000})
    order by id desc`;
  return rows.map((row) => ({ ...head(row), document: row.document }));
}

/** Whether a file with this version was ever applied (so a restart does not apply it again). */
export async function fileVersionApplied(db: Db, version: string): Promise<boolean> {
  const rows =
    await db`select 1 from challenge_configs where source = 'file' and version = ${version} limit 1`;
  return rows.length > 0;
}

/** The newest applied configurations, newest first. */
export async function configHistory(db: Db, limit: number): Promise<StoredConfigHead[]> {
  const rows = await db<HeadRow[]>`
    select id, version, source, applied_by, applied_at from challenge_configs order by id desc limit ${limit}`;
  return rows.map(head);
}

/** Players' rows of the given goals, by goal: all rows, those in progress, completed and not claimed. */
export async function goalRowCounts(
  db: Db,
  namespace: string,
  goalIds: readonly string[],
): Promise<Map<string, { players: number; inProgress: number; completedUnclaimed: number }>> {
  if (goalIds.length === 0) return new Map();
  const rows = await db<{ goal_id: string; players: string; in_progress: string; completed: string }[]>`
    select goal_id, count(*) as players,
      count(*) filter (where status = 'in_progress') as in_progress,
      count(*) filter (where status = 'completed') as completed
    from user_goal_progress_current
    where namespace = ${namespace} and goal_id = any(${goalIds as string[]}::text[])
    group by goal_id`;
  return new Map(
    rows.map((row) => [
      row.goal_id,
      {
        players: Number(row.players),
        inProgress: Number(row.in_progress),
        completedUnclaimed: Number(row.completed),
      },
    ]),
  );
}
