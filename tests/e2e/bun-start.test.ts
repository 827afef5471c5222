/**
 * The two-command promise: with no DATABASE_URL, `bun start` brings up an embedded PostgreSQL,
 * migrates, serves the API in dev auth mode, and SIGTERM stops everything with exit code 0.
 */
import { afterAll, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { isAlive } from '../../src/db/embedded-postgres.ts';
import { startServiceProcess } from '../helpers/service-process.ts';

const dataDir = resolve(`.data/e2e-start-${process.pid}`);
mkdirSync(dataDir, { recursive: true });
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test('bun start without DATABASE_URL serves the API on an embedded database and stops cleanly', async () => {
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    TEST_DATABASE_URL: '',
    DB_HOST: '',
  };
  const service = await startServiceProcess(env);
  try {
    await service.waitForHealthy(60_000);
    const banner = service.output();
    expect(banner).toContain('/v1/challenges');
    expect(banner).toContain('/swagger');
    expect(banner).toContain('/metrics');
    expect(banner).toContain('bun run cli token --user');
    expect(banner).toContain('embedded PostgreSQL');

    // The CLI mints a token with the secret the service generated under DATA_DIR.
    const cli = Bun.spawnSync(['bun', 'src/cli/main.ts', 'token', '--user', 'alice'], {
      env: { ...process.env, DATA_DIR: dataDir, DEV_JWT_SECRET: '' },
    });
    expect(cli.exitCode).toBe(0);
    const token = cli.stdout.toString().trim();
    const auth = { authorization: `Bearer ${token}` };

    const init = await fetch(`${service.baseUrl}/v1/challenges/initialize`, {
      method: 'POST',
      headers: auth,
    });
    expect(init.status).toBe(200);
    const body = (await init.json()) as { newAssignments: number };
    expect(body.newAssignments).toBeGreaterThan(0);
    const list = await fetch(`${service.baseUrl}/v1/challenges`, { headers: auth });
    expect(list.status).toBe(200);
    expect((await fetch(`${service.baseUrl}/v1/challenges`)).status).toBe(401);

    const pidFile = resolve(dataDir, 'pg', 'postmaster.pid');
    const postgresPid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    expect(await service.terminate('SIGTERM')).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
    expect(isAlive(postgresPid)).toBe(false);
  } finally {
    await service.terminate('SIGKILL');
  }
}, 120_000);
