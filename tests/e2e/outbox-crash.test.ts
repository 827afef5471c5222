/**
 * kill -9 of a service between commit and delivery: its messages are committed, one is out at the
 * receiver and never answered, the rest wait. After a restart everything is delivered, in order per
 * player, and accepted once per id (the one that was out arrives again: at least once).
 */
import { afterAll, expect, test } from 'bun:test';
import { eventually } from '../helpers/notify-delivery.ts';
import { startServiceProcess } from '../helpers/service-process.ts';
import { createTestDb } from '../helpers/test-db.ts';
import { RECEIVER_SECRET, startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { expectEachOnceInOrder, outboxOrder, undeliveredCount } from '../outbox/player-changes.ts';

const db = await createTestDb();
const receiver = startWebhookReceiver();
afterAll(async () => {
  await receiver.stop();
  await db.drop();
});
const USERS = Array.from({ length: 4 }, (_, i) => `crash-notify-${i}`);

test('kill -9 between commit and delivery: delivered after the restart, once per id', async () => {
  const env = {
    DATABASE_URL: db.url,
    AUTH_MODE: 'mock',
    CHALLENGE_CONFIG_PATH: 'config/challenges.test.json',
    NOTIFY_WEBHOOK_URL: receiver.url,
    NOTIFY_WEBHOOK_SECRET: RECEIVER_SECRET,
    // One request out at a time, held by the receiver; a short timeout keeps the lease short.
    NOTIFY_WEBHOOK_CONCURRENCY: '1',
    NOTIFY_WEBHOOK_TIMEOUT_MS: '1000',
  };
  receiver.answerWith(() => 'hold');
  const first = await startServiceProcess(env);
  await first.waitForHealthy();
  for (const user of USERS) {
    const response = await fetch(`${first.baseUrl}/v1/challenges/initialize`, {
      method: 'POST',
      headers: { 'x-mock-user-id': user },
    });
    expect(response.status).toBe(200);
  }
  await eventually(() => receiver.received.length > 0, 'the first request at the receiver');
  first.process.kill('SIGKILL');
  await first.process.exited;
  expect(first.process.signalCode).toBe('SIGKILL');
  const held = receiver.received.map((r) => r.idempotencyKey);
  expect(receiver.accepted()).toEqual([]);
  expect(await undeliveredCount(db.pool)).toBe(USERS.length * 3);

  receiver.answerWith(() => ({ status: 200 }));
  const second = await startServiceProcess(env);
  try {
    await second.waitForHealthy();
    // The request that was out is leased for the timeout plus 5 s; the others go at once.
    await eventually(async () => (await undeliveredCount(db.pool)) === 0, 'every message delivered', 20_000);
    const order = await outboxOrder(db.pool, USERS);
    expectEachOnceInOrder(receiver, order);
    for (const id of held) expect(receiver.acceptedCounts().get(id)).toBe(1);
    expect(receiver.received.every((r) => r.signed)).toBe(true);
  } finally {
    expect(await second.terminate('SIGTERM')).toBe(0);
  }
}, 60_000);
