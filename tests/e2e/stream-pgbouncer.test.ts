/**
 * Behind PgBouncer in transaction mode (DB_TRANSACTION_POOLER=true) a session cannot LISTEN: the
 * stream polls the outbox instead, and the event flush's progress notice still commits.
 */
import { afterAll, expect, test } from 'bun:test';
import { createEventClient } from '../../src/events/event-client.ts';
import { startPgBouncer } from '../helpers/pgbouncer.ts';
import { type ServiceProcess, servicePort, startServiceProcess } from '../helpers/service-process.ts';
import { openSse } from '../helpers/sse.ts';
import { createTestDb } from '../helpers/test-db.ts';

const NAMESPACE = 'stream-bouncer';
const db = await createTestDb();
const bouncer = await startPgBouncer(db.url);
let service: ServiceProcess | undefined;
afterAll(async () => {
  await service?.terminate('SIGKILL');
  await bouncer.stop();
  await db.drop();
});

test('behind PgBouncer the stream polls the outbox; events still flush', async () => {
  const grpcPort = await servicePort();
  service = await startServiceProcess({
    DATABASE_URL: bouncer.url,
    DB_TRANSACTION_POOLER: 'true',
    STREAM_POLL_INTERVAL_MS: '200',
    AUTH_MODE: 'mock',
    AB_NAMESPACE: NAMESPACE,
    CHALLENGE_CONFIG_PATH: 'config/challenges.test.json',
    GRPC_PORT: String(grpcPort),
  });
  await service.waitForHealthy();
  const user = 'bouncer-streamer';
  const stream = await openSse(`${service.baseUrl}/v1/challenges/stream`, { 'x-mock-user-id': user });
  const client = createEventClient(`127.0.0.1:${grpcPort}`);
  try {
    await stream.waitFor((e) => e.event === 'snapshot');
    const initialize = await fetch(`${service.baseUrl}/v1/challenges/initialize`, {
      method: 'POST',
      headers: { 'x-mock-user-id': user },
    });
    expect(initialize.status).toBe(200);
    await stream.waitFor((e) => e.event === 'goal.assigned', { count: 3, timeoutMs: 5_000 });
    await client.sendStat({ userId: user, namespace: NAMESPACE, statCode: 'tutorial_completed', value: 1 });
    const [completed] = await stream.waitFor((e) => e.event === 'goal.completed', { timeoutMs: 5_000 });
    expect(completed?.json['goalId']).toBe('tutorial');
    const listeners = await db.pool`
      select 1 from pg_stat_activity
      where application_name = 'challenge-service-listener' and datname = current_database()`;
    expect(listeners).toHaveLength(0);
  } finally {
    client.close();
    stream.close();
  }
}, 60_000);
