/**
 * Webhook delivery when its database connections go silent for good (a dropped network path: no
 * reset, no answer): the calls waiting on them are given up at their deadline and the pool is
 * replaced, so later messages are still delivered instead of delivery stalling with the connections.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { eventually, startTestDelivery } from '../helpers/notify-delivery.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { createTestDb } from '../helpers/test-db.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';

const db = await createTestDb();
const app = await createTestApp({ db });
const direct = new URL(db.url);
const proxy = startTcpProxy({ hostname: direct.hostname, port: Number(direct.port) });
afterAll(async () => {
  proxy.stop();
  await app.close();
  await db.drop();
});

describe('webhook delivery over connections gone silent', () => {
  test('gives up the calls waiting on them and delivers later messages over new ones', async () => {
    await using receiver = startWebhookReceiver();
    const proxied = new URL(db.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    await using _deliverer = await startTestDelivery({
      databaseUrl: proxied.toString(),
      url: receiver.url,
      catalog: () => app.catalog,
      databaseTimeoutMs: 1_000,
    });
    const delivered = (user: string) => receiver.accepted().filter((r) => r.body.userId === user).length;
    const before = `silent-${crypto.randomUUID()}`;
    await app.request('POST', '/v1/challenges/initialize', { user: before });
    await eventually(() => delivered(before) === 3, 'the messages before the silence');

    expect(proxy.silenceOpenConnections()).toBeGreaterThan(0);
    const after = `silent-${crypto.randomUUID()}`;
    await app.request('POST', '/v1/challenges/initialize', { user: after });
    await eventually(() => delivered(after) === 3, 'the messages after the silence', 20_000);
    expect(delivered(before)).toBe(3);
  }, 40_000);
});
