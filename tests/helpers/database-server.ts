/**
 * Where the test run gets PostgreSQL, in order: TEST_DATABASE_URL / DATABASE_URL; a container when a
 * Docker engine answers; else an embedded server. Tests never skip for want of a database.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAlive, removeAbandonedData, startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';

export interface DatabaseServer {
  /** URL of a database on the server whose user may create databases. */
  readonly adminUrl: string;
  readonly source: 'environment' | 'testcontainers' | 'embedded';
  stop(): Promise<void>;
}

export async function startDatabaseServer(): Promise<DatabaseServer> {
  const fromEnv = process.env['TEST_DATABASE_URL'] ?? process.env['DATABASE_URL'];
  if (fromEnv) return { adminUrl: fromEnv, source: 'environment', stop: async () => {} };
  if (dockerMayAnswer()) {
    const container = await startContainer();
    if (container) return container;
  }
  await removeStaleTestServers();
  const server = await startEmbeddedPostgres({
    dataDir: join(DATA_ROOT, `test-pg-${process.pid}`),
    database: 'postgres_admin',
    persistent: false,
  });
  return { adminUrl: server.url, source: 'embedded', stop: () => server.stop() };
}

const DATA_ROOT = resolve('.data');

/**
 * A test run that was killed (Ctrl-C, SIGKILL, a CI timeout) never stops its servers: stop those and
 * remove their data, or each killed run leaves postmasters running for good. A directory is named
 * after its run's pid; the owner record beside it (pid and start time) has the last word.
 */
export async function removeStaleTestServers(root = DATA_ROOT): Promise<string[]> {
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    // test-pg-<pid> from here, <name>-pg-<pid> from own-postgres.ts.
    const pid = Number(/^[\w-]+-pg-(\d+)$/.exec(name)?.[1]);
    if (!pid || pid === process.pid || isAlive(pid)) continue;
    if (await removeAbandonedData(join(root, name))) removed.push(name);
  }
  return removed;
}

function dockerMayAnswer(): boolean {
  return Boolean(process.env['DOCKER_HOST']) || existsSync('/var/run/docker.sock');
}

async function startContainer(): Promise<DatabaseServer | undefined> {
  try {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer('postgres:17-alpine')
      .withEnvironment({ POSTGRES_PASSWORD: 'postgres', POSTGRES_DB: 'postgres_admin' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start();
    const url = `postgres://postgres:postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres_admin`;
    return { adminUrl: url, source: 'testcontainers', stop: async () => void (await container.stop()) };
  } catch (error) {
    console.warn(`testcontainers could not start PostgreSQL (${String(error)}); using embedded PostgreSQL`);
    return undefined;
  }
}
