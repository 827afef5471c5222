/**
 * Preloaded once per `bun test` run: starts (or connects to) PostgreSQL and builds a migrated
 * template database; each test file clones it with `createTestDb()`.
 */
import { afterAll } from 'bun:test';
import { createPool } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { MIGRATIONS } from '../../src/db/migrations.ts';
import { startDatabaseServer } from './database-server.ts';
import { TEMPLATE_DATABASE, withDatabase } from './test-db.ts';

const server = await startDatabaseServer();
try {
  process.env['TEST_ADMIN_DATABASE_URL'] = server.adminUrl;
  await buildTemplate(server.adminUrl);
} catch (error) {
  // The run stops here; a server left running would outlive it.
  await server.stop();
  throw error;
}

afterAll(async () => {
  await server.stop();
});

async function buildTemplate(adminUrl: string): Promise<void> {
  const admin = createPool({ url: adminUrl, maxConnections: 1 });
  try {
    await admin.unsafe(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
    await admin.unsafe(`create database ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const template = createPool({ url: withDatabase(adminUrl, TEMPLATE_DATABASE), maxConnections: 1 });
  try {
    await migrate(template, MIGRATIONS);
  } finally {
    await template.end();
  }
}
