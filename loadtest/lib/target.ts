/**
 * The system under test: either a running service (`--target`), or, with `--spawn`, a fresh
 * embedded PostgreSQL and the service started as its own process with the load-test workload, the
 * way the README starts it. Spawned targets know their pids, so CPU and memory can be sampled.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { startLoadtestReceiver, type WebhookMode } from './webhook-receiver.ts';
import { generateChallengeConfig, type WorkloadVariant } from './workload.ts';

export interface Target {
  readonly httpBase: string;
  readonly grpcTarget: string;
  readonly databaseUrl?: string;
  readonly servicePid?: number;
  readonly postgresPid?: number;
  readonly description: string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  readonly namespace: string;
  /** A checkout of this repository to run instead of this one (before/after comparisons). */
  readonly serviceDir?: string;
  readonly shards?: number;
  readonly devSecret?: string;
  readonly env?: Record<string, string>;
  readonly workload?: WorkloadVariant;
  /** Start a notification webhook receiver that misbehaves this way and point the service at it. */
  readonly webhook?: WebhookMode;
}

export async function spawnService(options: SpawnOptions): Promise<Target> {
  const work = mkdtempSync(join(tmpdir(), 'loadtest-'));
  const configPath = join(work, 'challenges.json');
  writeFileSync(
    configPath,
    JSON.stringify(generateChallengeConfig({ auditGoal: true, variant: options.workload ?? 'original' })),
  );
  const dataDir = `.data/loadtest-pg-${process.pid}-${Date.now().toString(36)}`;
  const pg = await startEmbeddedPostgres({ dataDir, database: 'loadtest', persistent: false });
  const postgresPid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const receiver = options.webhook ? await startLoadtestReceiver(options.webhook) : undefined;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: pg.url,
    HTTP_PORT: String(httpPort),
    GRPC_PORT: String(grpcPort),
    CHALLENGE_CONFIG_PATH: configPath,
    AB_NAMESPACE: options.namespace,
    REWARD_MODE: 'mock',
    LOG_LEVEL: 'warn',
    ...(options.devSecret ? { AUTH_MODE: 'dev', DEV_JWT_SECRET: options.devSecret } : { AUTH_MODE: 'mock' }),
    ...(options.shards ? { EVENT_SHARDS: String(options.shards) } : {}),
    ...(receiver ? { NOTIFY_WEBHOOK_URL: receiver.url, NOTIFY_WEBHOOK_SECRET: receiver.secret } : {}),
    ...options.env,
  };
  const cwd = resolve(options.serviceDir ?? '.');
  // The service's log (warnings and errors) is kept, so that an error answer seen in a run can be traced.
  const logPath = join(work, 'service.log');
  const child = Bun.spawn(['bun', 'src/main.ts'], { cwd, env, stdout: Bun.file(logPath), stderr: 'inherit' });
  const httpBase = `http://127.0.0.1:${httpPort}`;
  // Ctrl-C during a run must not leave the service and its PostgreSQL behind.
  const interrupted = () => void stop().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const stop = async () => {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    child.kill('SIGTERM');
    await child.exited;
    console.log(describeServiceLog(logPath));
    if (receiver) {
      console.log(await receiver.summary(pg.url).catch((error) => `webhook: no summary (${error})`));
      await receiver.stop();
    }
    await pg.stop();
  };
  try {
    await waitForHealth(httpBase, child.exited);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    httpBase,
    grpcTarget: `127.0.0.1:${grpcPort}`,
    databaseUrl: pg.url,
    servicePid: child.pid,
    postgresPid,
    description: `service spawned from ${cwd} on a fresh embedded PostgreSQL${receiver ? `, with ${receiver.description}` : ''}`,
    stop,
  };
}

/** Where the service's log is, and how many of its lines are errors (level error or fatal). */
function describeServiceLog(path: string): string {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
  const errors = lines.filter((line) => /"level":"(error|fatal)"/.test(line)).length;
  return `service log: ${path} (${lines.length} lines, ${errors} at error level or above)`;
}

export interface ExistingTargetOptions {
  /** HTTP base URL, e.g. http://127.0.0.1:8000 (with BASE_PATH if the service uses one). */
  readonly httpBase: string;
  readonly grpcTarget: string;
  readonly databaseUrl?: string;
  readonly servicePid?: number;
}

export async function existingTarget(options: ExistingTargetOptions): Promise<Target> {
  await waitForHealth(options.httpBase);
  return {
    ...options,
    description: `running service at ${options.httpBase} (gRPC ${options.grpcTarget})`,
    stop: async () => {},
  };
}

async function waitForHealth(base: string, exited?: Promise<number>): Promise<void> {
  let exitCode: number | undefined;
  void exited?.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exitCode !== undefined)
      throw new Error(`the service exited with code ${exitCode} before it was healthy`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await Bun.sleep(100);
  }
  throw new Error(`${base}/healthz did not answer 200 within 60 s`);
}
