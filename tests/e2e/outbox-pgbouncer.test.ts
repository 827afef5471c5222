/**
 * Webhook delivery behind PgBouncer in transaction mode (DB_TRANSACTION_POOLER=true), where LISTEN
 * cannot work: the poll alone delivers every message, once, in order per player.
 */
import { afterAll, expect, test } from 'bun:test';
import { eventually } from '../helpers/notify-delivery.ts';
import { startPgBouncer } from '../helpers/pgbouncer.ts';
import { type ServiceProcess, startServiceProcess } from '../helpers/service-process.ts';
import { createTestDb } from '../helpers/test-db.ts';
import { RECEIVER_SECRET, startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { outboxOrder, undeliveredCount } from '../outbox/player-changes.ts';

const USERS = Array.from({ length: 5 }, (_, i) => `bouncer-notify-${i}`);
const db = await createTestDb();
const bouncer = await startPgBouncer(db.url);
const receiver = startWebhookReceiver();
let service: ServiceProcess | undefined;
afterAll(async () => {
  await service?.terminate('SIGKILL');
  await receiver.stop();
  await bouncer.stop();
  await db.drop();
});

test('behind PgBouncer in transaction mode the poll delivers everything, in order, once', async () => {
  service = await startServiceProcess({
    DATABASE_URL: bouncer.url,
    DB_TRANSACTION_POOLER: 'true',
    AUTH_MODE: 'mock',
    CHALLENGE_CONFIG_PATH: 'config/challenges.test.json',
    NOTIFY_WEBHOOK_URL: receiver.url,
    NOTIFY_WEBHOOK_SECRET: RECEIVER_SECRET,
    NOTIFY_WEBHOOK_POLL_MS: '200',
  });
  await service.waitForHealthy();
  const base = service.baseUrl;
  for (const user of USERS) {
    const headers = { 'x-mock-user-id': user, 'content-type': 'application/json' };
    expect((await fetch(`${base}/v1/challenges/initialize`, { method: 'POST', headers })).status).toBe(200);
    const active = `${base}/v1/challenges/starter-challenge/goals/play-5-matches/active`;
    const body = (isActive: boolean) => JSON.stringify({ isActive });
    expect((await fetch(active, { method: 'PUT', headers, body: body(true) })).status).toBe(200);
    expect((await fetch(active, { method: 'PUT', headers, body: body(false) })).status).toBe(200);
  }
  await eventually(async () => (await undeliveredCount(db.pool)) === 0, 'every message delivered', 15_000);
  const order = await outboxOrder(db.pool, USERS);
  expect([...order.values()].flat()).toHaveLength(USERS.length * 5);
  expect([...receiver.acceptedCounts().values()].every((count) => count === 1)).toBe(true);
  for (const [user, ids] of order)
    expect(
      receiver
        .accepted()
        .filter((r) => r.body.userId === user)
        .map((r) => r.body.id),
    ).toEqual(ids);
  expect(service.output()).not.toContain('LISTEN');
}, 60_000);
