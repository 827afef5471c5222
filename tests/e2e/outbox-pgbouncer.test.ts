/**
 * Webhook delivery behind PgBouncer in transaction mode (DB_TRANSACTION_POOLER=true), where LISTEN
 * cannot work: the poll alone delivers every message, once, in order per player.
 */
import { afterAll, expect, test } from 'bun:test';
import { useBouncedService } from '../helpers/bounced-service.ts';
import { eventually } from '../helpers/notify-delivery.ts';
import { RECEIVER_SECRET, startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { expectEachOnceInOrder, outboxOrder, undeliveredCount } from '../outbox/player-changes.ts';

const USERS = Array.from({ length: 5 }, (_, i) => `bouncer-notify-${i}`);
const bounced = await useBouncedService();
const { db } = bounced;
const receiver = startWebhookReceiver();
afterAll(() => receiver.stop());

test('behind PgBouncer in transaction mode the poll delivers everything, in order, once', async () => {
  const { service } = await bounced.start({
    NOTIFY_WEBHOOK_URL: receiver.url,
    NOTIFY_WEBHOOK_SECRET: RECEIVER_SECRET,
    NOTIFY_WEBHOOK_POLL_MS: '200',
  });
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
  expectEachOnceInOrder(receiver, order);
  expect(service.output()).not.toContain('LISTEN');
}, 60_000);
