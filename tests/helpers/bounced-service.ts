/**
 * A service process behind PgBouncer in transaction mode (DB_TRANSACTION_POOLER=true), on a fresh
 * test database: the database and the pooler are set up at once, the service when the test asks,
 * and everything is stopped after the file's tests.
 */
import { afterAll } from 'bun:test';
import { type PgBouncer, startPgBouncer } from './pgbouncer.ts';
import { type ServiceProcess, servicePort, startServiceProcess } from './service-process.ts';
import { createTestDb, type TestDb } from './test-db.ts';

export interface BouncedService {
  readonly db: TestDb;
  readonly bouncer: PgBouncer;
  /** Starts the service (mock auth, the test configuration, `env` on top) and waits until healthy. */
  start(env?: Record<string, string>): Promise<{ service: ServiceProcess; grpcPort: number }>;
}

export async function useBouncedService(
  options: { readonly emptyDatabase?: boolean } = {},
): Promise<BouncedService> {
  const db = await createTestDb();
  // An empty database (not the migrated template), so the migrations themselves run through PgBouncer.
  if (options.emptyDatabase) await db.pool.unsafe('drop schema public cascade; create schema public');
  const bouncer = await startPgBouncer(db.url);
  const services: ServiceProcess[] = [];
  afterAll(async () => {
    for (const service of services) await service.terminate('SIGKILL');
    await bouncer.stop();
    await db.drop();
  });
  return {
    db,
    bouncer,
    async start(env = {}) {
      const grpcPort = await servicePort();
      const service = await startServiceProcess({
        DATABASE_URL: bouncer.url,
        DB_TRANSACTION_POOLER: 'true',
        AUTH_MODE: 'mock',
        CHALLENGE_CONFIG_PATH: 'config/challenges.test.json',
        GRPC_PORT: String(grpcPort),
        ...env,
      });
      services.push(service);
      await service.waitForHealthy();
      return { service, grpcPort };
    },
  };
}
