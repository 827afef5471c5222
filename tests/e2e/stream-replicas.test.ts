/**
 * Live streams across processes, run as users run the service (`bun src/main.ts`): a stream held
 * by one replica receives the changes another replica commits (its API calls and its event
 * flushes); neither logs the token a stream was opened with; SIGTERM ends open streams and the
 * process still exits in time.
 */
import { afterAll, expect, test } from 'bun:test';
import { createEventClient } from '../../src/events/event-client.ts';
import { type ServiceProcess, servicePort, startServiceProcess } from '../helpers/service-process.ts';
import { openSse } from '../helpers/sse.ts';
import { DEV_SECRET, devToken, TEST_NAMESPACE } from '../helpers/test-app.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
const replicas: ServiceProcess[] = [];
afterAll(async () => {
  for (const replica of replicas) await replica.terminate('SIGKILL');
  await db.drop();
});

async function startReplica(): Promise<{ service: ServiceProcess; grpcPort: number }> {
  const grpcPort = await servicePort();
  const service = await startServiceProcess({
    DATABASE_URL: db.url,
    AUTH_MODE: 'dev',
    DEV_JWT_SECRET: DEV_SECRET,
    AB_NAMESPACE: TEST_NAMESPACE,
    CHALLENGE_CONFIG_PATH: 'config/challenges.test.json',
    GRPC_PORT: String(grpcPort),
    LOG_LEVEL: 'debug',
    SHUTDOWN_TIMEOUT_MS: '5000',
    STREAM_HEARTBEAT_MS: '500',
  });
  replicas.push(service);
  await service.waitForHealthy();
  return { service, grpcPort };
}

const [a, b] = await Promise.all([startReplica(), startReplica()]);

test('a stream on one replica receives what another replica commits, and no log line shows the token', async () => {
  const user = `replica-${crypto.randomUUID()}`;
  const token = await devToken(user);
  const stream = await openSse(`${a.service.baseUrl}/v1/challenges/stream?access_token=${token}`);
  const events = createEventClient(`127.0.0.1:${b.grpcPort}`);
  try {
    await stream.waitFor((e) => e.event === 'snapshot');
    const initialize = await fetch(`${b.service.baseUrl}/v1/challenges/initialize`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(initialize.status).toBe(200);
    await stream.waitFor((e) => e.event === 'goal.assigned', { count: 3, timeoutMs: 10_000 });
    await events.sendStat({ userId: user, namespace: TEST_NAMESPACE, statCode: 'enemy_kills', value: 4 });
    const [moved] = await stream.waitFor((e) => e.event === 'goal.progress', { timeoutMs: 10_000 });
    expect(moved?.json['goalId']).toBe('defeat-10-enemies');
    expect(moved?.json['goal']).toMatchObject({ progress: 4, status: 'in_progress' });
    await events.sendStat({ userId: user, namespace: TEST_NAMESPACE, statCode: 'enemy_kills', value: 10 });
    await stream.waitFor((e) => e.event === 'goal.completed', { timeoutMs: 10_000 });
    // The stream thread that served it reports its heap with the event workers'.
    const metrics = await (await fetch(`${a.service.baseUrl}/metrics`)).text();
    const heap = metrics.match(/^challenge_worker_heap_used_bytes\{thread="streams"\} (\d+)/m);
    expect(Number(heap?.[1])).toBeGreaterThan(1_000_000);
    expect(metrics).toMatch(/^challenge_stream_events_sent_total\{type="goal.completed"\} 1$/m);
    // No webhook is configured: the messages are kept for streams, none queued for delivery.
    const [setting] = await db.pool<
      { webhook_delivery: boolean }[]
    >`select webhook_delivery from outbox_settings`;
    expect(setting?.webhook_delivery).toBe(false);
    const queued = await db.pool`select 1 from outbox_messages where user_id = ${user} and for_delivery`;
    expect(queued).toHaveLength(0);
  } finally {
    events.close();
    stream.close();
  }
  // A refused token in the query is logged (at debug) by path only, never with the query string.
  const refused = await fetch(`${a.service.baseUrl}/v1/challenges/stream?access_token=${token}x`);
  expect(refused.status).toBe(401);
  await Bun.sleep(200);
  expect(a.service.output()).toContain('"path":"/v1/challenges/stream"');
  for (const replica of [a, b]) {
    expect(replica.service.output()).not.toContain(token);
    expect(replica.service.output()).not.toContain('access_token');
  }
}, 30_000);

test('SIGTERM ends open streams and the process exits within SHUTDOWN_TIMEOUT_MS', async () => {
  const streams = await Promise.all(
    ['term-a', 'term-b', 'term-c'].map(async (user) =>
      openSse(`${a.service.baseUrl}/v1/challenges/stream`, {
        authorization: `Bearer ${await devToken(user)}`,
      }),
    ),
  );
  await Promise.all(streams.map((stream) => stream.waitFor((e) => e.event === 'snapshot')));
  const started = performance.now();
  const exitCode = await a.service.terminate('SIGTERM');
  expect(exitCode).toBe(0);
  expect(performance.now() - started).toBeLessThan(5_000);
  await Promise.all(streams.map((stream) => stream.ended));
}, 30_000);
