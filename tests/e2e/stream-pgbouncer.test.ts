/**
 * Behind PgBouncer in transaction mode (DB_TRANSACTION_POOLER=true) a session cannot LISTEN: the
 * stream polls the outbox instead, and the event flush's progress notice still commits.
 */
import { expect, test } from 'bun:test';
import { createEventClient } from '../../src/events/event-client.ts';
import { useBouncedService } from '../helpers/bounced-service.ts';
import { openSse } from '../helpers/sse.ts';

const NAMESPACE = 'stream-bouncer';
const bounced = await useBouncedService();
const { db } = bounced;

test('behind PgBouncer the stream polls the outbox; events still flush', async () => {
  const { service, grpcPort } = await bounced.start({
    STREAM_POLL_INTERVAL_MS: '200',
    AB_NAMESPACE: NAMESPACE,
  });
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
