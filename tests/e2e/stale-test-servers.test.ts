/**
 * A killed `bun test` run never stops its embedded server. The next run stops such servers and
 * removes their data, and leaves alone those of runs that are still going.
 */
import { afterAll, expect, test } from 'bun:test';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAlive } from '../../src/db/embedded-postgres.ts';
import { removeStaleTestServers } from '../helpers/database-server.ts';

const root = resolve(`.data/e2e-stale-${process.pid}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('the server of a killed test run is stopped and removed; a live run keeps its own', async () => {
  // A stand-in for a test run: starts its server as setup.ts does, then waits to be killed.
  const script = `
    import { startEmbeddedPostgres } from ${JSON.stringify(resolve('src/db/embedded-postgres.ts'))};
    await startEmbeddedPostgres({ dataDir: ${JSON.stringify(root)} + '/test-pg-' + process.pid, database: 'stale', persistent: false });
    console.log('ready');
    setInterval(() => {}, 1000);
  `;
  const run = Bun.spawn(['bun', '-e', script], { stdout: 'pipe', stderr: 'inherit' });
  try {
    const reader = run.stdout.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('ready');
    const dataDir = join(root, `test-pg-${run.pid}`);
    const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

    expect(await removeStaleTestServers(root)).toEqual([]);
    expect(isAlive(postmaster)).toBe(true);

    run.kill('SIGKILL');
    await run.exited;
    expect(isAlive(postmaster)).toBe(true);
    expect(await removeStaleTestServers(root)).toEqual([`test-pg-${run.pid}`]);
    expect(isAlive(postmaster)).toBe(false);
    expect(existsSync(dataDir)).toBe(false);
    expect(existsSync(`${dataDir}.owner`)).toBe(false);
  } finally {
    run.kill('SIGKILL');
  }
}, 60_000);
