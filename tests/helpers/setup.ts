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
process.env['TEST_ADMIN_DATABASE_URL'] = server.adminUrl;

const admin = createPool({ url: server.adminUrl, maxConnections: 1 });
await admin.unsafe(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
await admin.unsafe(`create database ${TEMPLATE_DATABASE}`);
await admin.end();

const template = createPool({ url: withDatabase(server.adminUrl, TEMPLATE_DATABASE), maxConnections: 1 });
await migrate(template, MIGRATIONS);
await template.end();

afterAll(async () => {
  await server.stop();
});
