/**
 * A PostgreSQL server of the test file's own, for database outages: the test stops it and starts it
 * again on the same port and data. Service processes registered with `track` are killed, the
 * server stopped and its data removed after the file.
 */
import { afterAll } from 'bun:test';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import type { ServiceProcess } from './service-process.ts';

export function useOwnPostgres(name: string) {
  // Under .data/ with the other test data (relocated when the postgres user cannot reach it).
  const dataDir = resolve(`.data/${name}-pg-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  let server: EmbeddedPostgresHandle | undefined;
  const services: ServiceProcess[] = [];
  afterAll(async () => {
    for (const service of services) await service.terminate('SIGKILL');
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    /** Starts the server on `port`, with the data of any earlier start. */
    async start(port: number): Promise<EmbeddedPostgresHandle> {
      server = await startEmbeddedPostgres({
        dataDir,
        database: `challenge_${name.replace(/\W/g, '_')}`,
        persistent: true,
        port,
      });
      return server;
    },
    async stop(): Promise<void> {
      await server?.stop();
      server = undefined;
    },
    track(service: ServiceProcess): ServiceProcess {
      services.push(service);
      return service;
    },
  };
}
