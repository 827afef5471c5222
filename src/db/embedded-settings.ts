/**
 * The embedded PostgreSQL's settings, tuned for this service's write pattern within a budget of
 * about 400 MB of memory (shared_buffers plus the backends) and 2 GB of WAL on disk. What each
 * changed is measured in loadtest/RESULTS.md ("Embedded PostgreSQL settings").
 *
 * - `shared_buffers` 256 MB (default 128 MB): the progress rows of a few tens of thousands of
 *   players and their indexes stay in PostgreSQL's own cache rather than the kernel's.
 * - `max_wal_size` 2 GB, `checkpoint_timeout` 15 min: every event flush updates rows all over the
 *   table, and the first change of a page after a checkpoint writes the whole page to the WAL.
 *   Under a sustained event load the default 1 GB forces checkpoints within seconds of each other,
 *   and most of the WAL becomes page images.
 * - `wal_buffers` 16 MB: a large flush writes several MB of WAL before its commit.
 * - `wal_compression` pglz: those page images are over half of the WAL under an event load, and
 *   rows of ids and statuses compress well. The bundled build has neither lz4 nor zstd, which
 *   cost less CPU.
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
  wal_compression: 'pglz',
};

/** The settings as `postgres` command-line arguments. */
export const embeddedSettingArgs = (): string[] =>
  Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
