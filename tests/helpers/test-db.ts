import { randomBytes } from 'node:crypto';
import { createPool, type Pool, warmUp } from '../../src/db/client.ts';

export const TEMPLATE_DATABASE = 'challenge_test_template';

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export function adminUrl(): string {
  const url = process.env['TEST_ADMIN_DATABASE_URL'];
  if (!url) throw new Error('TEST_ADMIN_DATABASE_URL is not set: tests/helpers/setup.ts must be preloaded');
  return url;
}

export interface TestDb {
  readonly url: string;
  readonly name: string;
  readonly pool: Pool;
  [Symbol.asyncDispose](): Promise<void>;
  drop(): Promise<void>;
}

/** A fresh migrated database (a clone of the template), dropped when disposed. */
export async function createTestDb(options: { maxConnections?: number } = {}): Promise<TestDb> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = createPool({ url: adminUrl(), maxConnections: 1 });
  try {
    await admin.unsafe(`create database ${name} template ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl(), name);
  const pool = createPool({ url, maxConnections: options.maxConnections ?? 10 });
  await warmUp(pool);
  const drop = async () => {
    await pool.end({ timeout: 5 });
    const dropper = createPool({ url: adminUrl(), maxConnections: 1 });
    try {
      await dropper.unsafe(`drop database if exists ${name} with (force)`);
    } finally {
      await dropper.end();
    }
  };
  return { url, name, pool, drop, [Symbol.asyncDispose]: drop };
}
