/** CLI errors and auth: a dev-auth service without a token, a closed port, usage errors, --help everywhere. */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { runCli } from '../helpers/cli.ts';
import { type ServiceProcess, startServiceProcess } from '../helpers/service-process.ts';
import { createTestDb, type TestDb } from '../helpers/test-db.ts';

const SECRET = 'cli-test-secret-with-enough-length-0123456789';
/** An empty data directory, so the CLI finds no generated dev secret of a local `bun start`. */
const emptyDataDir = mkdtempSync(join(tmpdir(), 'cli-test-'));
let db: TestDb;
let service: ServiceProcess;
let closedUrl = '';

beforeAll(async () => {
  db = await createTestDb();
  service = await startServiceProcess({
    DATABASE_URL: db.url,
    AUTH_MODE: 'dev',
    DEV_JWT_SECRET: SECRET,
    CHALLENGE_CONFIG_PATH: 'config/challenges.test.json',
    GRPC_PORT: String(await freePort()),
  });
  // Nothing listens on a port freePort just handed out.
  closedUrl = `http://127.0.0.1:${await freePort()}`;
  await service.waitForHealthy();
}, 60_000);

afterAll(async () => {
  await service?.terminate();
  await db?.drop();
  rmSync(emptyDataDir, { recursive: true, force: true });
});

const noSecretEnv = { DATA_DIR: emptyDataDir, DEV_JWT_SECRET: '' };

test('a dev-auth service without a token exits 4 with a hint on getting one', async () => {
  const result = await runCli(['challenges', '--url', service.baseUrl], noSecretEnv);
  expect(result.exitCode).toBe(4);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain('error: UNAUTHENTICATED (HTTP 401)');
  expect(result.stderr).toContain('bun run cli token --user <id>');
  expect(result.stderr).toContain('--mock-user');
}, 15_000);

test('--user mints a dev token with DEV_JWT_SECRET; --token passes one', async () => {
  const withUser = await runCli(['initialize', '--url', service.baseUrl, '--user', 'dev-alice'], {
    DEV_JWT_SECRET: SECRET,
  });
  expect(withUser.exitCode).toBe(0);
  expect(withUser.stdout).toContain('newAssignments: 3');

  const token = (await runCli(['token', '--user', 'dev-alice'], { DEV_JWT_SECRET: SECRET })).stdout.trim();
  const withToken = await runCli(
    ['challenges', '--url', service.baseUrl, '--token', token, '--active-only'],
    noSecretEnv,
  );
  expect(withToken.exitCode).toBe(0);
  expect(withToken.stdout).toMatch(/defeat-10-enemies\s+not_started\s+0\/10\s+yes/);

  const wrongSecret = await runCli(['challenges', '--url', service.baseUrl, '--user', 'dev-alice'], {
    DEV_JWT_SECRET: 'some-other-secret-with-enough-length-0123',
  });
  expect(wrongSecret.exitCode).toBe(4);
}, 20_000);

test('--user without any dev secret is a usage error (exit 2)', async () => {
  const result = await runCli(['challenges', '--url', service.baseUrl, '--user', 'x'], noSecretEnv);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toContain('no dev secret found');
}, 15_000);

test('a service that is not running: exit 3 with "cannot reach"', async () => {
  for (const args of [
    ['challenges', '--mock-user', 'u'],
    ['claim', 'c', 'g', '--mock-user', 'u'],
    ['health'],
  ]) {
    const result = await runCli([...args, '--url', closedUrl]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toStartWith(`error: cannot reach the service at ${closedUrl} (is it running?)`);
  }
}, 15_000);

test('unhealthy service: health exits 1; 5xx API errors exit 6; a non-API 404 exits 5', async () => {
  const unavailable = {
    error: 'UNAVAILABLE',
    code: 14,
    message: 'database connectivity check failed',
    details: [],
  };
  const fake = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (request) => {
      const path = new URL(request.url).pathname;
      return path === '/healthz' || path.startsWith('/v1/')
        ? Response.json(unavailable, { status: 503 })
        : new Response('Not Found', { status: 404 });
    },
  });
  try {
    const url = `http://127.0.0.1:${fake.port}`;
    const health = await runCli(['health', '--url', url]);
    expect(health.exitCode).toBe(1);
    expect(health.stdout).toBe('unhealthy (HTTP 503): database connectivity check failed\n');

    const challenges = await runCli(['challenges', '--url', url, '--json']);
    expect(challenges.exitCode).toBe(6);
    expect(JSON.parse(challenges.stdout)).toEqual(unavailable);
    expect(challenges.stderr).toContain('error: UNAVAILABLE (HTTP 503): database connectivity check failed');

    const wrongBase = await runCli(['health', '--url', `${url}/elsewhere`]);
    expect(wrongBase.exitCode).toBe(1);
    const wrongPath = await runCli(['initialize', '--url', `${url}/x`]);
    expect(wrongPath.exitCode).toBe(5);
    expect(wrongPath.stderr).toContain(`error: HTTP 404 from ${url}/x/v1/challenges/initialize: Not Found`);
  } finally {
    await fake.stop(true);
  }
}, 15_000);

test('usage errors exit 2', async () => {
  const unknownOption = await runCli(['challenges', '--no-such-option']);
  expect(unknownOption.exitCode).toBe(2);
  expect(unknownOption.stderr).toContain("unknown option '--no-such-option'");
  expect((await runCli(['claim', 'only-a-challenge'])).exitCode).toBe(2);
  expect((await runCli(['challenges', '--url', 'not a url'])).exitCode).toBe(2);
  expect((await runCli(['event', 'stat', '--user', 'u'])).exitCode).toBe(2);
}, 15_000);

test('--help works for every command, with a description and an example', async () => {
  const top = await runCli(['--help']);
  expect(top.exitCode).toBe(0);
  expect(top.stdout).toContain('Exit codes:');
  const commands = [
    ['token'],
    ['challenges'],
    ['initialize'],
    ['activate'],
    ['deactivate'],
    ['claim'],
    ['health'],
    ['history'],
    ['admin', 'challenges'],
    ['admin', 'events'],
    ['admin', 'set-progress'],
    ['admin', 'reset'],
    ['admin', 'complete'],
    ['admin', 'claim'],
    ['admin', 'erase'],
    ['event', 'login'],
    ['event', 'stat'],
  ];
  const results = await Promise.all(commands.map((command) => runCli([...command, '--help'])));
  for (const [i, result] of results.entries()) {
    const name = (commands[i] ?? []).join(' ');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`Usage: challenge-cli ${name}`);
    expect(result.stdout).toContain(`$ `);
  }
}, 20_000);
