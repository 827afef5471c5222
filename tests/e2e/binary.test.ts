/**
 * The single-binary deployment: `bun run build` writes dist/challenge-service, which runs from a
 * directory holding only itself and its config, against DATABASE_URL, and serves HTTP, gRPC and
 * metrics like `bun start`.
 */
import { afterAll, expect, test } from 'bun:test';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { createEventClient } from '../../src/events/event-client.ts';
import { openSse } from '../helpers/sse.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
const runDir = resolve(`.data/binary-${process.pid}`);
afterAll(async () => {
  await db.drop();
  rmSync(runDir, { recursive: true, force: true });
});

test('the compiled binary serves health, an event round trip and a claim on its own', async () => {
  const build = Bun.spawnSync(['bun', 'run', 'build'], { stdout: 'pipe', stderr: 'pipe' });
  expect(build.exitCode).toBe(0);
  mkdirSync(resolve(runDir, 'config'), { recursive: true });
  copyFileSync('dist/challenge-service', resolve(runDir, 'challenge-service'));
  copyFileSync('config/challenges.json', resolve(runDir, 'config/challenges.json'));

  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const child = Bun.spawn([resolve(runDir, 'challenge-service')], {
    cwd: runDir, // no sources, no node_modules: everything it needs is embedded
    env: {
      PATH: process.env['PATH'] ?? '',
      DATABASE_URL: db.url,
      AUTH_MODE: 'mock',
      HTTP_PORT: String(httpPort),
      GRPC_PORT: String(grpcPort),
      AB_NAMESPACE: 'binary',
    },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const base = `http://127.0.0.1:${httpPort}`;
  const client = createEventClient(`127.0.0.1:${grpcPort}`);
  try {
    const deadline = Date.now() + 30_000;
    let healthy = false;
    while (!healthy && Date.now() < deadline) {
      healthy = await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (!healthy) await Bun.sleep(100);
    }
    expect(healthy).toBe(true);

    const headers = { 'x-mock-user-id': 'binary-user' };
    // Live streams run in a worker thread of their own, embedded like the event workers.
    const stream = await openSse(`${base}/v1/challenges/stream`, headers);
    expect((await fetch(`${base}/v1/challenges/initialize`, { method: 'POST', headers })).status).toBe(200);
    await stream.waitFor((e) => e.event === 'goal.assigned', { timeoutMs: 10_000 });
    stream.close();
    await client.sendStat({
      id: 'binary-1',
      userId: 'binary-user',
      namespace: 'binary',
      statCode: 'tutorial_completed',
      value: 1,
    });
    const claim = await fetch(`${base}/v1/challenges/winter-challenge-2025/goals/complete-tutorial/claim`, {
      method: 'POST',
      headers,
    });
    expect(claim.status).toBe(200);
    expect(((await claim.json()) as { status: string }).status).toBe('claimed');
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('challenge_http_requests_total');
    expect((await fetch(`${base}/swagger/json`)).status).toBe(200);
    // The Swagger page and its assets are embedded too: nothing is fetched from outside.
    const page = await (await fetch(`${base}/swagger`)).text();
    expect(page).not.toContain('unpkg');
    const bundle = await fetch(`${base}/swagger/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);

    // The same binary carries the CLI, and --help is usage, not a second service.
    const binary = resolve(runDir, 'challenge-service');
    const run = (...args: string[]) =>
      Bun.spawnSync([binary, ...args], {
        cwd: runDir,
        env: { PATH: process.env['PATH'] ?? '' },
        stdout: 'pipe',
      });
    const help = run('--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout.toString()).toContain('challenge-service cli <command>');
    const listed = run('cli', 'challenges', '--mock-user', 'binary-user', '--url', base, '--json');
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout.toString()).toContain('"goalId":"complete-tutorial"');
    expect(run('cli', 'health', '--url', base).exitCode).toBe(0);

    child.kill('SIGTERM');
    expect(await child.exited).toBe(0);

    // Dev mode with nothing set: the service generates its secret under ./.data, and the CLI of
    // the same binary, run from the same directory, mints tokens it accepts.
    const devPort = await freePort();
    const dev = Bun.spawn([binary], {
      cwd: runDir,
      env: {
        PATH: process.env['PATH'] ?? '',
        DATABASE_URL: db.url,
        AUTH_MODE: 'dev',
        HTTP_PORT: String(devPort),
        GRPC_PORT: String(await freePort()),
        AB_NAMESPACE: 'binary',
      },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    try {
      const devBase = `http://127.0.0.1:${devPort}`;
      const devDeadline = Date.now() + 30_000;
      while (
        Date.now() < devDeadline &&
        !(await fetch(`${devBase}/healthz`).then(
          (r) => r.ok,
          () => false,
        ))
      )
        await Bun.sleep(100);
      const minted = Bun.spawnSync([binary, 'cli', 'token', '--user', 'binary-user'], {
        cwd: runDir,
        env: { PATH: process.env['PATH'] ?? '', AB_NAMESPACE: 'binary' },
        stdout: 'pipe',
      });
      const token = minted.stdout.toString().trim();
      const mine = await fetch(`${devBase}/v1/challenges`, { headers: { authorization: `Bearer ${token}` } });
      expect(mine.status).toBe(200);
    } finally {
      dev.kill('SIGKILL');
    }
  } finally {
    client.close();
    child.kill('SIGKILL');
  }
}, 120_000);
