/**
 * The embedded PostgreSQL's settings, tuned for this service's write pattern within a budget of
 * about 400 MB of memory (shared_buffers plus ~20 backends) and 2 GB of WAL on disk.
 *
 * - `shared_buffers` 256 MB: the progress table of 10,000 players with 100 goals each and its
 *   indexes (~250 MB) stay in PostgreSQL's cache instead of moving through the kernel's on every
 *   flush (the default is 128 MB).
 * - `max_wal_size` 2 GB, `checkpoint_timeout` 15 min: every event flush updates rows all over the
 *   table, and the first change of a page after a checkpoint writes the whole page to the WAL.
 *   With the default 1 GB the load test's events alone forced a checkpoint about every minute,
 *   each followed by a burst of such full-page writes; spacing them out writes less WAL.
 * - `wal_buffers` 16 MB: a flush of 2,000 events writes several MB of WAL before its commit.
 * - `synchronous_commit` stays on: an event is acknowledged only after its commit is durable.
 */
export const EMBEDDED_SETTINGS: Readonly<Record<string, string>> = {
  timezone: 'UTC',
  max_connections: '200',
  shared_buffers: '256MB',
  wal_buffers: '16MB',
  max_wal_size: '2GB',
  min_wal_size: '256MB',
  checkpoint_timeout: '15min',
};

/** The settings as `postgres` command-line arguments. */
export const embeddedSettingArgs = (): string[] =>
  Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
