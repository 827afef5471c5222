/** Runs the service the way users do (`bun src/main.ts`) as a child process, for end-to-end tests. */
import { afterAll, beforeAll } from 'bun:test';
import { createServer } from 'node:net';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { createTestDb, type TestDb } from './test-db.ts';

export interface ServiceProcess {
  readonly baseUrl: string;
  readonly process: ReturnType<typeof Bun.spawn>;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  waitForHealthy(timeoutMs?: number): Promise<void>;
  /** Sends a signal and resolves with the exit code. */
  terminate(signal?: NodeJS.Signals): Promise<number>;
}

export async function startServiceProcess(
  env: Record<string, string>,
  options: { readonly cwd?: string } = {},
): Promise<ServiceProcess> {
  const port = await servicePort();
  // Free ports unless the caller picks them: a `bun start` on the defaults must not collide with tests.
  const child = Bun.spawn(['bun', 'src/main.ts'], {
    env: {
      ...process.env,
      HTTP_PORT: String(port),
      GRPC_PORT: String(await servicePort()),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdout: 'pipe',
    stderr: 'pipe',
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  let text = '';
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk);
  };
  void collect(child.stdout);
  void collect(child.stderr);
  const baseUrl = `http://127.0.0.1:${env['HTTP_PORT'] ?? port}${env['BASE_PATH'] ?? ''}`;
  return {
    baseUrl,
    process: child,
    output: () => text,
    async waitForHealthy(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${text}`);
        try {
          if ((await fetch(`${baseUrl}/healthz`)).ok) return;
        } catch {
          // not listening yet
        }
        await Bun.sleep(100);
      }
      throw new Error(`service not healthy after ${timeoutMs} ms:\n${text}`);
    },
    async terminate(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return child.exited;
    },
  };
}

export interface UsedServiceProcess {
  service(): ServiceProcess;
  db(): TestDb;
}

/**
 * A service process on a fresh test database, started before the file's tests and stopped after
 * them, with `env` on top of the database URL, a free gRPC port and the test configuration. The
 * getters are valid inside tests.
 */
export function useServiceProcess(env: Record<string, string>): UsedServiceProcess {
  let db: TestDb | undefined;
  let service: ServiceProcess | undefined;
  beforeAll(async () => {
    db = await createTestDb();
    service = await startServiceProcess({
      DATABASE_URL: db.url,
      GRPC_PORT: String(await servicePort()),
      CHALLENGE_CONFIG_PATH: 'config/challenges.test.json',
      ...env,
    });
    await service.waitForHealthy();
  }, 60_000);
  afterAll(async () => {
    await service?.terminate();
    await db?.drop();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started yet (use it inside a test)`);
    return value;
  };
  return { service: () => started(service, 'the service'), db: () => started(db, 'the test database') };
}

/** useServiceProcess with mock auth. */
export const useMockServiceProcess = (configPath: string): UsedServiceProcess =>
  useServiceProcess({ AUTH_MODE: 'mock', CHALLENGE_CONFIG_PATH: configPath });

/**
 * A free port for a service process's HTTP or gRPC listener, below the kernel's ephemeral range. A
 * port handed out by `freePort()` (port 0) is free only until someone binds it, and the service's
 * own embedded PostgreSQL asks the kernel for a port the same way, so it could be given the very
 * port the test just picked for the service. Ports from a separate range cannot meet it.
 */
export async function servicePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (await canBind(port)) return port;
  }
  return freePort();
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolvePort(true)));
  });
}
