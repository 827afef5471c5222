/**
 * A second `bun start` next to a running one: on the same embedded database it must leave the
 * running one alone and say who holds it; on a taken HTTP or gRPC port it must fail and leave no
 * database behind. A postmaster orphaned by a SIGKILLed service is still taken over.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { isAlive } from '../../src/db/embedded-postgres.ts';
import { type ServiceProcess, servicePort, startServiceProcess } from '../helpers/service-process.ts';

const root = resolve(`.data/e2e-second-${process.pid}`);
const embedded = (dataDir: string) => ({
  DATA_DIR: dataDir,
  DATABASE_URL: '',
  TEST_DATABASE_URL: '',
  DB_HOST: '',
  AUTH_MODE: 'mock',
});
const headers = { 'x-mock-user-id': 'second-instance' };

let first: ServiceProcess;
const others: ServiceProcess[] = [];
beforeAll(async () => {
  first = await startServiceProcess(embedded(`${root}/first`));
  await first.waitForHealthy(60_000);
}, 90_000);
afterAll(async () => {
  // A graceful stop also stops each service's own postmaster, wherever its data really lives.
  for (const service of [first, ...others]) await service?.terminate('SIGTERM');
  // Services killed by a test leave their postmasters: stop them before removing the data.
  for (const pid of postmastersUnder(root)) process.kill(pid, 'SIGINT');
  await Bun.sleep(500);
  rmSync(root, { recursive: true, force: true });
});

test('a second start on the same data leaves the running service alone and names it', async () => {
  const second = track(await startServiceProcess(embedded(`${root}/first`)));
  expect(await exitWithin(second, 15_000)).toBe(1);
  const dataDir = realpathSync(`${root}/first/pg`);
  expect(second.output()).toContain(
    `another challenge service (pid ${first.process.pid}) is using the embedded database in ${dataDir}`,
  );
  expect(second.output()).toContain('DATABASE_URL');

  expect((await fetch(`${first.baseUrl}/healthz`)).status).toBe(200);
  const init = await fetch(`${first.baseUrl}/v1/challenges/initialize`, { method: 'POST', headers });
  expect(init.status).toBe(200);
}, 60_000);

test('a second start on a taken HTTP port fails and leaves no database running', async () => {
  const dataDir = `${root}/http-taken`;
  const port = new URL(first.baseUrl).port;
  const second = track(await startServiceProcess({ ...embedded(dataDir), HTTP_PORT: port }));
  expect(await exitWithin(second, 30_000)).not.toBe(0);
  expect(second.output()).toMatch(new RegExp(`port ${port} in use`, 'i'));
  expectNoServerIn(dataDir);
  expect((await fetch(`${first.baseUrl}/healthz`)).status).toBe(200);
}, 60_000);

test('a start on a taken gRPC port fails and leaves no database running', async () => {
  const dataDir = `${root}/grpc-taken`;
  const grpcPort = await servicePort();
  const holder = await listen(grpcPort);
  try {
    const second = track(await startServiceProcess({ ...embedded(dataDir), GRPC_PORT: String(grpcPort) }));
    expect(await exitWithin(second, 30_000)).not.toBe(0);
    expect(second.output()).toContain(`could not listen on 0.0.0.0:${grpcPort}`);
    expect(second.output()).toContain('address already in use');
    expectNoServerIn(dataDir);
  } finally {
    holder.close();
  }
}, 60_000);

test('after the service is SIGKILLed, a new start takes over its orphaned database', async () => {
  const dataDir = `${root}/killed`;
  const killed = track(await startServiceProcess(embedded(dataDir)));
  await killed.waitForHealthy(60_000);
  const orphan = postmasterPid(`${dataDir}/pg`);
  await killed.terminate('SIGKILL');
  expect(isAlive(orphan)).toBe(true);

  const next = track(await startServiceProcess(embedded(dataDir)));
  await next.waitForHealthy(60_000);
  expect(isAlive(orphan)).toBe(false);
  expect(postmasterPid(`${dataDir}/pg`)).not.toBe(orphan);
  const init = await fetch(`${next.baseUrl}/v1/challenges/initialize`, { method: 'POST', headers });
  expect(init.status).toBe(200);
  expect(await next.terminate('SIGTERM')).toBe(0);
}, 120_000);

test('two starts at once on new data: one runs, the other refuses, and a third leaves the first alone', async () => {
  const dataDir = `${root}/together`;
  const [a, b] = await Promise.all([
    startServiceProcess(embedded(dataDir)).then(track),
    startServiceProcess(embedded(dataDir)).then(track),
  ]);
  const refused = await Promise.race([
    a.process.exited.then(() => a),
    b.process.exited.then(() => b),
    Bun.sleep(30_000).then(() => undefined),
  ]);
  if (!refused) throw new Error('neither start was refused');
  const running = refused === a ? b : a;
  expect(refused.output()).toContain(`another challenge service (pid ${running.process.pid})`);
  await running.waitForHealthy(60_000);
  expect(running.process.exitCode).toBeNull();
  // A retry by the operator is refused as well, and the running service keeps its database.
  const third = track(await startServiceProcess(embedded(dataDir)));
  expect(await exitWithin(third, 15_000)).toBe(1);
  expect(third.output()).toContain(`another challenge service (pid ${running.process.pid})`);
  const init = await fetch(`${running.baseUrl}/v1/challenges/initialize`, { method: 'POST', headers });
  expect(init.status).toBe(200);
  expect(await running.terminate('SIGTERM')).toBe(0);
}, 120_000);

test('an embedded PostgreSQL that dies under the service takes it down, saying why', async () => {
  const dataDir = `${root}/postgres-killed`;
  const service = track(await startServiceProcess(embedded(dataDir)));
  await service.waitForHealthy(60_000);
  // As the kernel's OOM killer would.
  process.kill(postmasterPid(`${dataDir}/pg`), 'SIGKILL');
  expect(await exitWithin(service, 15_000)).toBe(1);
  expect(service.output()).toContain('the embedded PostgreSQL stopped; the service cannot go on');
  expect(service.output()).toContain('SIGKILL');
}, 90_000);

function track(service: ServiceProcess): ServiceProcess {
  others.push(service);
  return service;
}

async function exitWithin(service: ServiceProcess, ms: number): Promise<number | 'running'> {
  const timer = Bun.sleep(ms).then(() => 'running' as const);
  return Promise.race([service.process.exited, timer]);
}

function postmasterPid(dataDir: string): number {
  return Number(readFileSync(resolve(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

function expectNoServerIn(dataDir: string): void {
  expect(existsSync(`${dataDir}/pg/postmaster.pid`)).toBe(false);
  expect(postmastersUnder(dataDir)).toEqual([]);
}

/**
 * PostgreSQL processes whose command line names a data directory under `dir`, or the data a link
 * under `dir` points to (as root, data the postgres user cannot reach is relocated).
 */
function postmastersUnder(dir: string): number[] {
  const dirs = [dir, ...relocatedTargets(dir)];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (command[0]?.endsWith('/postgres') && command.some((arg) => dirs.some((d) => arg.startsWith(d))))
        pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

function relocatedTargets(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    try {
      const target = realpathSync(`${dir}/${entry}/pg`);
      return target.startsWith(dir) ? [] : [target];
    } catch {
      return [];
    }
  });
}

function listen(port: number): Promise<Server> {
  return new Promise((resolveServer, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolveServer(server));
  });
}
