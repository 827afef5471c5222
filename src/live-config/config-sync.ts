/**
 * Where the configuration in force comes from, and how every replica converges on it.
 *
 * PostgreSQL holds the applied configurations; the newest is in force. At start-up the file is
 * applied if its rules were never applied from a file before, so editing the file and restarting
 * works as it always did, while a replica restarting with an older file (during a rolling
 * deploy) does not undo a newer configuration. `SIGHUP` applies the file as it is now; PUT
 * /v1/admin/config applies a body. Every replica polls for a newer configuration.
 */
import { type ConfigOptions, parseChallengeConfig, readConfigDocument } from '../config/challenge-config.ts';
import {
  type ConfigSource,
  fileVersionApplied,
  insertConfig,
  latestConfigHead,
  loadConfig,
  lockConfigRecords,
  type NewConfig,
  recentConfigs,
  type StoredConfig,
  type StoredConfigHead,
  unboundedStatements,
} from '../db/challenge-configs.ts';
import type { Db, Pool } from '../db/client.ts';
import { releaseUnfollowedRows } from '../db/stat-values.ts';
import { configVersion } from '../domain/config-diff.ts';
import { followedStats, goalsNoLongerFollowing } from '../domain/stat-values.ts';
import type { Challenge } from '../domain/types.ts';
import type { Logger } from '../log.ts';
import type { ConfigInForce, LiveCatalog } from './live-catalog.ts';

/** The file as read and validated at start-up. */
export interface ConfigFile {
  readonly path: string;
  readonly document: unknown;
  readonly challenges: readonly Challenge[];
}

/**
 * Reads and validates the configuration file.
 * @throws ConfigError when the file is missing, not JSON or not a valid configuration.
 */
export function readConfigFile(path: string, options: ConfigOptions = {}): ConfigFile {
  const document = readConfigDocument(path);
  return { path, document, challenges: parseChallengeConfig(document, path, options) };
}

/** The configuration to start with: the file's, or the newest applied (see above). */
export async function resolveStartupConfig(
  db: Pool,
  file: ConfigFile,
  logger: Logger,
): Promise<ConfigInForce> {
  const { path, document, challenges } = file;
  const version = configVersion(challenges);
  if (!(await fileVersionApplied(db, version))) {
    const head = await recordConfig(
      db,
      challenges,
      { version, document, source: 'file', appliedBy: path },
      { unbounded: true },
    );
    logger.info({ version, path }, 'challenge configuration applied from the file');
    return { ...head, document, challenges };
  }
  const latest = await latestConfigHead(db);
  const stored = latest && (await loadConfig(db, latest.id));
  if (!stored) throw new Error('challenge_configs lost the configuration it recorded');
  const parsed = parseStored(stored, logger);
  if (parsed) {
    if (parsed.version !== version) {
      logger.info(
        { version: parsed.version, source: parsed.source, appliedBy: parsed.appliedBy, fileVersion: version },
        'using the newest applied challenge configuration; the file was applied before (send SIGHUP to apply it again)',
      );
    }
    return parsed;
  }
  // A configuration this release cannot read (written by a newer one): run on the file meanwhile.
  return { ...stored, document, challenges, version };
}

/** Validates `document` and records it as the newest configuration, then puts it in force here. */
export async function applyConfigDocument(
  db: Pool,
  live: LiveCatalog,
  config: { document: unknown; source: ConfigSource; appliedBy: string; sourceName: string },
  options: ConfigOptions = {},
): Promise<ConfigInForce> {
  const challenges = parseChallengeConfig(config.document, config.sourceName, options);
  const head = await recordConfig(db, challenges, {
    version: configVersion(challenges),
    document: config.document,
    source: config.source,
    appliedBy: config.appliedBy,
  });
  const applied = { ...head, document: config.document, challenges };
  await live.adopt(applied);
  return applied;
}

/**
 * How far back a new configuration looks for goals that followed another stat: a replica still on
 * an older configuration (until its next poll) may mark rows as that one says.
 */
const LAGGING_REPLICA_MS = 3_600_000;

/**
 * Records a configuration as the newest, and in the same transaction stops rows from following a
 * stat their goal no longer follows under it (db/stat-values.ts): only the rows of the goals that
 * followed another stat, or none, under a configuration recorded in the last hour (or the newest),
 * so a change that retargets nothing reads no progress row. Configurations are recorded one at a
 * time; when the newest recorded cannot be read (none yet, or one from a newer release), every row
 * is checked. `unbounded`: at start-up, which waits for its work as it waits for migrations.
 */
function recordConfig(
  db: Pool,
  challenges: readonly Challenge[],
  config: NewConfig,
  options: { readonly unbounded?: boolean } = {},
): Promise<StoredConfigHead> {
  return db.begin(async (tx) => {
    if (options.unbounded) await unboundedStatements(tx);
    await lockConfigRecords(tx);
    const recent = recentRules(await recentConfigs(tx, LAGGING_REPLICA_MS));
    const head = await insertConfig(tx, config);
    const followed = followedStats(challenges);
    if (!recent) await releaseUnfollowedRows(tx, followed);
    else {
      const changed = goalsNoLongerFollowing(recent.flatMap(followedStats), followed);
      if (changed.length > 0) await releaseUnfollowedRows(tx, followed, [...new Set(changed)]);
    }
    return head;
  });
}

/** The rules of recorded configurations; undefined when the newest cannot be read (or there is none). */
function recentRules(stored: readonly StoredConfig[]): Array<readonly Challenge[]> | undefined {
  const rules = stored.map((config) => {
    try {
      return parseChallengeConfig(config.document, `stored configuration ${config.id}`);
    } catch {
      return undefined;
    }
  });
  if (rules[0] === undefined) return undefined;
  return rules.filter((challenges) => challenges !== undefined);
}

/**
 * Applies the file as it is now (SIGHUP). Nothing is recorded when its rules are the ones in force.
 * @throws ConfigError when the file is not a valid configuration; the one in force stays.
 */
export async function reloadConfigFile(
  db: Pool,
  live: LiveCatalog,
  path: string,
  options: ConfigOptions = {},
): Promise<{ readonly changed: boolean; readonly config: ConfigInForce }> {
  const { document, challenges } = readConfigFile(path, options);
  if (configVersion(challenges) === live.inForce().version) return { changed: false, config: live.inForce() };
  const config = await applyConfigDocument(db, live, {
    document,
    source: 'file',
    appliedBy: path,
    sourceName: path,
  });
  return { changed: true, config };
}

export interface ConfigSync {
  /** Looks for a newer configuration now; true when one was put in force. */
  pollOnce(): Promise<boolean>;
  stop(): void;
}

/** Polls PostgreSQL for a configuration newer than the one in force (applied by another replica). */
export function startConfigSync(options: {
  db: Db;
  live: LiveCatalog;
  intervalMs: number;
  logger: Logger;
}): ConfigSync {
  const { db, live, logger } = options;
  let lastFailure = '';
  let running: Promise<boolean> | undefined;
  const poll = async (): Promise<boolean> => {
    try {
      const latest = await latestConfigHead(db);
      if (!latest || latest.id <= live.inForce().id) return false;
      const stored = await loadConfig(db, latest.id);
      const parsed = stored && parseStored(stored, logger);
      if (!parsed) return false;
      const adopted = await live.adopt(parsed);
      if (adopted) {
        logger.info(
          { version: parsed.version, source: parsed.source, appliedBy: parsed.appliedBy },
          'challenge configuration changed',
        );
      }
      lastFailure = '';
      return adopted;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== lastFailure) {
        logger.warn({ err: error }, 'could not check for a new challenge configuration; retrying');
        lastFailure = message;
      }
      return false;
    }
  };
  const pollOnce = () => {
    running ??= poll().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => void pollOnce(), options.intervalMs);
  timer.unref?.();
  return { pollOnce, stop: () => clearInterval(timer) };
}

/** A stored configuration as rules; undefined (logged) when this release cannot read it. */
function parseStored(stored: StoredConfig, logger: Logger): ConfigInForce | undefined {
  try {
    const challenges = parseChallengeConfig(stored.document, `stored configuration ${stored.id}`);
    return { ...stored, challenges };
  } catch (error) {
    logger.error(
      { err: error, id: stored.id, version: stored.version },
      'the newest stored challenge configuration is not valid for this release; keeping the one in force',
    );
    return undefined;
  }
}
