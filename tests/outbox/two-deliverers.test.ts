/**
 * Two delivery loops on one database, as two replicas run them: between them every message is
 * delivered once, each player's in order, and never two of one player's at the same time.
 */
import { afterAll, expect, test } from 'bun:test';
import { counterValue, eventually, startTestDelivery } from '../helpers/notify-delivery.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { MESSAGES_PER_PLAYER, outboxOrder, playThrough, undeliveredCount } from './player-changes.ts';

const app = await createTestApp();
afterAll(() => app.close());

test('two deliverers deliver each message once, in order per player, one at a time per player', async () => {
  await using receiver = startWebhookReceiver();
  // A little latency, so both deliverers have requests out at the same time.
  receiver.answerWith(() => ({ status: 200, delayMs: Math.floor(Math.random() * 15) }));
  const options = { databaseUrl: app.db.url, url: receiver.url, catalog: () => app.catalog, concurrency: 4 };
  await using first = await startTestDelivery(options);
  await using second = await startTestDelivery(options);
  const users = Array.from({ length: 20 }, (_, i) => `two-${i}-${crypto.randomUUID()}`);
  await Promise.all(users.map((user) => playThrough(app, user)));
  await eventually(
    async () => (await undeliveredCount(app.db.pool)) === 0,
    'every message delivered',
    20_000,
  );

  const order = await outboxOrder(app.db.pool, users);
  const all = [...order.values()].flat();
  expect(all).toHaveLength(users.length * MESSAGES_PER_PLAYER);
  const counts = receiver.acceptedCounts();
  expect(counts.size).toBe(all.length);
  expect([...counts.values()].every((count) => count === 1)).toBe(true);
  expect(receiver.received.length).toBe(all.length);
  for (const [user, ids] of order) {
    const mine = receiver.accepted().filter((r) => r.body.userId === user);
    expect({ user, ids: mine.map((r) => r.body.id) }).toEqual({ user, ids });
    const overlapping = mine.filter((r, i) => i > 0 && r.startedAt < (mine[i - 1]?.endedAt ?? 0));
    expect({ user, overlapping: overlapping.length }).toEqual({ user, overlapping: 0 });
  }
  const delivered = [
    await counterValue(first.metrics, 'challenge_outbox_delivered_total'),
    await counterValue(second.metrics, 'challenge_outbox_delivered_total'),
  ];
  expect(delivered[0] ?? 0).toBeGreaterThan(0);
  expect(delivered[1] ?? 0).toBeGreaterThan(0);
  expect((delivered[0] ?? 0) + (delivered[1] ?? 0)).toBe(all.length);
}, 40_000);
