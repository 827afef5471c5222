/**
 * As root, PostgreSQL runs as the unprivileged postgres user, which cannot enter a `mktemp -d`
 * directory (mode 0700) or a checkout under /root. `bun start` and `bun test` must still work there:
 * the data and, for a checkout there, the PostgreSQL binaries are placed where that user can reach
 * them. As another user the same tests check that nothing changes.
 */
import { afterAll, expect, test } from 'bun:test';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isAlive } from '../../src/db/embedded-postgres.ts';
import { RELOCATED_ROOT, relocatedDataDir } from '../../src/db/embedded-runtime.ts';
import { startServiceProcess } from '../helpers/service-process.ts';

const asRoot = process.getuid?.() === 0;
const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) {
    rmSync(relocatedDataDir(join(dir, 'data', 'pg')), { recursive: true, force: true });
    rmSync(`${relocatedDataDir(join(dir, 'data', 'pg'))}.owner`, { force: true });
    rmSync(`${relocatedDataDir(join(dir, 'data', 'pg'))}.link`, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

const noDatabase = { DATABASE_URL: '', TEST_DATABASE_URL: '', DB_HOST: '', DOCKER_HOST: '' };

test('the service starts with DATA_DIR inside a directory only its user can enter', async () => {
  const dir = privateDir();
  const service = await startServiceProcess({
    ...noDatabase,
    DATA_DIR: join(dir, 'data'),
    AUTH_MODE: 'mock',
  });
  try {
    await service.waitForHealthy(45_000);
    const headers = { 'x-mock-user-id': 'private-dir' };
    const init = await fetch(`${service.baseUrl}/v1/challenges/initialize`, { method: 'POST', headers });
    expect(init.status).toBe(200);
    const where = asRoot ? relocatedDataDir(join(dir, 'data', 'pg')) : join(dir, 'data', 'pg');
    // The banner says where the data really is.
    expect(service.output()).toContain(`embedded PostgreSQL (${where},`);
    if (asRoot) expect(readlinkSync(join(dir, 'data', 'pg'))).toBe(where);
    expect(await service.terminate('SIGTERM')).toBe(0);
  } finally {
    await service.terminate('SIGKILL');
  }
}, 60_000);

test.skipIf(!asRoot)(
  'existing data the postgres user cannot reach stops start-up quickly, saying what to set',
  async () => {
    const dir = privateDir();
    mkdirSync(join(dir, 'data', 'pg'), { recursive: true });
    writeFileSync(join(dir, 'data', 'pg', 'PG_VERSION'), '18\n');
    const started = Date.now();
    const service = await startServiceProcess({ ...noDatabase, DATA_DIR: join(dir, 'data') });
    expect(await service.process.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(service.output()).toContain(`cannot reach the existing data in ${join(dir, 'data', 'pg')}`);
    expect(service.output()).toContain('set DATA_DIR');
    expect(service.output()).toContain('DATABASE_URL');
  },
  30_000,
);

test.skipIf(!asRoot)(
  'deleting DATA_DIR discards its relocated data: the next start begins afresh, abandoned data is removed',
  async () => {
    const dir = privateDir();
    const env = { ...noDatabase, DATA_DIR: join(dir, 'data'), AUTH_MODE: 'mock' };
    const headers = { 'x-mock-user-id': 'reset-me' };
    const initialize = async (baseUrl: string) => {
      const response = await fetch(`${baseUrl}/v1/challenges/initialize`, { method: 'POST', headers });
      return ((await response.json()) as { newAssignments: number }).newAssignments;
    };
    const other = privateDir();
    const abandoned = relocatedDataDir(join(other, 'data', 'pg'));
    const before = await startServiceProcess({ ...env, DATA_DIR: join(other, 'data') });
    await before.waitForHealthy(45_000);
    expect(await before.terminate('SIGTERM')).toBe(0);
    expect(existsSync(abandoned)).toBe(true);
    rmSync(other, { recursive: true, force: true });

    const first = await startServiceProcess(env);
    try {
      await first.waitForHealthy(45_000);
      expect(await initialize(first.baseUrl)).toBeGreaterThan(0);
      expect(await initialize(first.baseUrl)).toBe(0);
      expect(await first.terminate('SIGTERM')).toBe(0);
    } finally {
      await first.terminate('SIGKILL');
    }
    // The other checkout's data went with its link.
    expect(existsSync(abandoned)).toBe(false);

    rmSync(join(dir, 'data'), { recursive: true, force: true });
    const again = await startServiceProcess(env);
    try {
      await again.waitForHealthy(45_000);
      expect(await initialize(again.baseUrl)).toBeGreaterThan(0);
      expect(await again.terminate('SIGTERM')).toBe(0);
    } finally {
      await again.terminate('SIGKILL');
    }
  },
  90_000,
);

test('bun test runs from a checkout inside such a directory, binaries included, and cleans up', async () => {
  const checkout = copyCheckout();
  writeFileSync(
    join(checkout, 'tests', 'private-checkout.test.ts'),
    `import { expect, test } from 'bun:test';
import { createTestDb } from './helpers/test-db.ts';
test('the database answers', async () => {
  await using db = await createTestDb();
  expect((await db.pool\`select 1 as one\`)[0]?.one).toBe(1);
});
`,
  );
  const run = await runTests(checkout, 'tests/private-checkout.test.ts');
  expect(run.exitCode, run.output).toBe(0);
  expect(run.output).toContain('1 pass');
  if (asRoot) expect(run.postmaster?.binary ?? '', run.output).toStartWith(RELOCATED_ROOT);
  expectNothingLeft(checkout, run);
}, 60_000);

test('a test run whose set-up fails after starting PostgreSQL leaves no server behind', async () => {
  const checkout = copyCheckout();
  writeFileSync(join(checkout, 'sql', '0001_user_goal_progress.sql'), 'this is not sql;\n');
  writeFileSync(
    join(checkout, 'tests', 'never-runs.test.ts'),
    "import { test } from 'bun:test';\ntest('x', () => {});\n",
  );
  const run = await runTests(checkout, 'tests/never-runs.test.ts');
  expect(run.exitCode, run.output).not.toBe(0);
  expect(run.output).toContain('syntax error');
  expectNothingLeft(checkout, run);
}, 60_000);

function privateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'private-'));
  temporary.push(dir);
  return dir;
}

/**
 * The sources copied into a private directory, node_modules as hard links: reachable for us, not
 * for the postgres user, like a clone under /root. A symlink to this checkout's node_modules would
 * let that user reach the binaries through the link's target.
 */
function copyCheckout(): string {
  const checkout = join(privateDir(), 'checkout');
  const skip = new Set(['node_modules', '.data', '.git', 'dist']);
  for (const entry of readdirSync('.')) {
    if (!skip.has(entry)) cpSync(entry, join(checkout, entry), { recursive: true });
  }
  const link = Bun.spawnSync(['cp', '-al', resolve('node_modules'), join(checkout, 'node_modules')]);
  if (link.exitCode !== 0) throw new Error(`cp -al node_modules failed: ${link.stderr.toString()}`);
  return checkout;
}

async function runTests(checkout: string, file: string) {
  const child = Bun.spawn(['bun', 'test', file], {
    cwd: checkout,
    env: { ...process.env, ...noDatabase },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  // While the run is alive, note its postmaster and the binary that runs.
  let postmaster: { pid: number; binary: string } | undefined;
  const watch = (async () => {
    while (child.exitCode === null) {
      postmaster ??= postmasterOf(join(checkout, '.data', `test-pg-${child.pid}`));
      await Bun.sleep(50);
    }
  })();
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  await watch;
  return { exitCode, output: stdout + stderr, pid: child.pid, postmaster };
}

function postmasterOf(dataDir: string): { pid: number; binary: string } | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return { pid, binary: readlinkSync(`/proc/${pid}/exe`) };
  } catch {
    return undefined;
  }
}

function expectNothingLeft(checkout: string, run: { pid: number; postmaster?: { pid: number } }): void {
  expect(run.postmaster).toBeDefined();
  expect(isAlive(run.postmaster?.pid ?? 0)).toBe(false);
  const requested = join(checkout, '.data', `test-pg-${run.pid}`);
  expect(readdirSync(join(checkout, '.data')).filter((name) => name.startsWith('test-pg-'))).toEqual([]);
  expect(existsSync(relocatedDataDir(requested))).toBe(false);
  expect(existsSync(`${relocatedDataDir(requested)}.owner`)).toBe(false);
}
