/**
 * The service started the way an operator protects it: both ports bound to one loopback address,
 * the event port behind a bearer token and TLS. The CLI reaches it only with the token and the CA.
 */
import { afterAll, expect, test } from 'bun:test';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { runCli } from '../helpers/cli.ts';
import { type ServiceProcess, startServiceProcess } from '../helpers/service-process.ts';
import { createTestDb } from '../helpers/test-db.ts';

const HOST = '127.0.0.2';
const TOKEN = 'platform-token-0123456789';
const db = await createTestDb();
let service: ServiceProcess | undefined;
afterAll(async () => {
  await service?.terminate('SIGKILL');
  await db.drop();
});

const reachable = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
    (response) => response.status,
    () => 'refused' as const,
  );

test('GRPC_HOST/HTTP_HOST bind where asked; OnMessage needs GRPC_AUTH_TOKEN over TLS', async () => {
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  service = await startServiceProcess({
    DATABASE_URL: db.url,
    AUTH_MODE: 'mock',
    HTTP_HOST: HOST,
    HTTP_PORT: String(httpPort),
    GRPC_HOST: HOST,
    GRPC_PORT: String(grpcPort),
    GRPC_AUTH_TOKEN: TOKEN,
    GRPC_TLS_CERT_FILE: 'tests/fixtures/tls/localhost.crt',
    GRPC_TLS_KEY_FILE: 'tests/fixtures/tls/localhost.key',
  });
  const deadline = Date.now() + 30_000;
  while ((await reachable(`http://${HOST}:${httpPort}/healthz`)) !== 200) {
    if (Date.now() > deadline || service.process.exitCode !== null) throw new Error(service.output());
    await Bun.sleep(100);
  }
  expect(await reachable(`http://127.0.0.1:${httpPort}/healthz`)).toBe('refused');

  const target = ['--target', `${HOST}:${grpcPort}`, '--user', 'port-user', '--namespace', 'accelbyte'];
  const tls = ['--ca', 'tests/fixtures/tls/localhost.crt', '--tls-server-name', 'localhost'];
  const env = { GRPC_AUTH_TOKEN: '' };
  const noToken = await runCli(['event', 'login', ...target, ...tls], env);
  expect(noToken.exitCode).toBe(1);
  expect(noToken.stderr).toContain('GRPC_AUTH_TOKEN');
  const plaintext = await runCli(
    ['event', 'login', ...target, '--token', TOKEN, '--deadline-ms', '3000'],
    env,
  );
  // A plaintext client cannot connect to the TLS port: unreachable, as the API commands say it.
  expect(plaintext.exitCode).toBe(3);
  const ok = await runCli(['event', 'login', ...target, ...tls, '--token', TOKEN], env);
  expect(ok.stdout).toContain('ok=1 failed=0');
  expect(ok.exitCode).toBe(0);
}, 60_000);
