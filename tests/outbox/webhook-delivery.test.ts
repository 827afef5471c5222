/**
 * Webhook delivery against a real receiver on loopback: through an outage of the receiver every
 * message arrives once, in order per player, signed, with the goal's reward; LISTEN wakes delivery
 * at once, and polling alone (behind a transaction pooler) delivers too.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { counterValue, eventually, startTestDelivery } from '../helpers/notify-delivery.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import {
  expectEachOnceInOrder,
  MESSAGES_PER_PLAYER,
  outboxOrder,
  playThrough,
  undeliveredCount,
} from './player-changes.ts';

const app = await createTestApp();
afterAll(() => app.close());
const catalog = () => app.catalog;

describe('webhook delivery', () => {
  test('a receiver down for a while, then up: every message once, in order per player, signed', async () => {
    await using receiver = startWebhookReceiver();
    await receiver.down();
    await using deliverer = await startTestDelivery({ databaseUrl: app.db.url, url: receiver.url, catalog });
    const users = Array.from({ length: 6 }, (_, i) => `down-up-${i}-${crypto.randomUUID()}`);
    await Promise.all(users.map((user) => playThrough(app, user)));

    await eventually(
      async () => (await counterValue(deliverer.metrics, 'challenge_outbox_retried_total')) > 0,
      'failed attempts while the receiver is down',
    );
    await Bun.sleep(300);
    expect(receiver.received).toHaveLength(0);
    expect(await counterValue(deliverer.metrics, 'challenge_outbox_delivered_total')).toBe(0);

    receiver.up();
    await eventually(async () => (await undeliveredCount(app.db.pool)) === 0, 'every message delivered');

    const order = await outboxOrder(app.db.pool, users);
    const all = [...order.values()].flat();
    expect(all).toHaveLength(users.length * MESSAGES_PER_PLAYER);
    expectEachOnceInOrder(receiver, order);
    expect(receiver.received.every((r) => r.signed && r.idempotencyKey === r.body.id)).toBe(true);
    expect(await counterValue(deliverer.metrics, 'challenge_outbox_delivered_total')).toBe(all.length);
  }, 30_000);

  test('the body is the message with the reward of the configuration in force', async () => {
    await using receiver = startWebhookReceiver();
    await using _deliverer = await startTestDelivery({ databaseUrl: app.db.url, url: receiver.url, catalog });
    const user = `body-${crypto.randomUUID()}`;
    await playThrough(app, user);
    await eventually(() => receiver.accepted().length === MESSAGES_PER_PLAYER, 'the player’s messages');
    const [row] = await app.db.pool<{ id: string; occurred_at: Date }[]>`
      select id::text, occurred_at from outbox_messages
      where user_id = ${user} and type = 'goal.claimed' and goal_id = 'defeat-10-enemies'`;
    const claimed = receiver.accepted().find((r) => r.body.id === row?.id);
    expect(claimed?.body).toEqual({
      id: row?.id ?? '',
      type: 'goal.claimed',
      occurredAt: `${row?.occurred_at.toISOString().slice(0, 19)}Z`,
      namespace: 'test-namespace',
      userId: user,
      challengeId: 'starter-challenge',
      goalId: 'defeat-10-enemies',
      progress: 12,
      status: 'claimed',
      reward: { type: 'ITEM', rewardId: 'bronze_sword', quantity: 1 },
    });
    expect(Object.keys(JSON.parse(claimed?.rawBody ?? '{}'))).toEqual([
      'id',
      'type',
      'occurredAt',
      'namespace',
      'userId',
      'challengeId',
      'goalId',
      'progress',
      'status',
      'reward',
    ]);
    expect(receiver.accepted().map((r) => r.body.type)).toEqual([
      'goal.assigned',
      'goal.assigned',
      'goal.assigned',
      'goal.completed',
      'goal.claimed',
      'goal.completed',
      'goal.claimed',
      'goal.assigned',
      'goal.unassigned',
    ]);
  }, 20_000);

  test('a queue whose head was removed by other means is mended when delivery starts', async () => {
    await using receiver = startWebhookReceiver();
    await receiver.down();
    const user = `mended-${crypto.randomUUID()}`;
    const first = await startTestDelivery({ databaseUrl: app.db.url, url: receiver.url, catalog });
    await app.request('POST', '/v1/challenges/initialize', { user });
    await eventually(
      async () =>
        (await app.db.pool`select 1 from outbox_messages where user_id = ${user} and attempts > 0`).length >
        0,
      'an attempt at the head',
    );
    await first.stop();
    // An operator deletes the head by SQL: the messages behind it wait behind nothing.
    await app.db.pool`delete from outbox_messages where user_id = ${user} and next_attempt_at is not null`;
    receiver.up();
    await using _second = await startTestDelivery({ databaseUrl: app.db.url, url: receiver.url, catalog });
    await eventually(() => receiver.accepted().length === 2, 'the two messages behind it');
  }, 20_000);

  test("a message JSON cannot carry is parked at once, and the player's next one still goes out", async () => {
    await using receiver = startWebhookReceiver();
    await using deliverer = await startTestDelivery({ databaseUrl: app.db.url, url: receiver.url, catalog });
    const user = `unsendable-${crypto.randomUUID()}`;
    // Written by hand: an instant JavaScript cannot represent, then an ordinary message.
    await app.db.pool`
      insert into outbox_messages
        (user_id, namespace, type, challenge_id, goal_id, progress, status, occurred_at, for_delivery)
      values
        (${user}, 'test', 'goal.completed', 'starter-challenge', 'tutorial', 1, 'completed', 'infinity', true),
        (${user}, 'test', 'goal.claimed', 'starter-challenge', 'tutorial', 1, 'claimed', now(), true)`;
    await eventually(
      () => receiver.accepted().some((r) => r.body.userId === user && r.body.type === 'goal.claimed'),
      'the message behind it',
    );
    const [parked] = await app.db.pool<{ attempts: number; last_error: string }[]>`
      select attempts, last_error from outbox_messages where user_id = ${user} and parked_at is not null`;
    expect(parked?.attempts).toBe(1);
    expect(parked?.last_error).toStartWith('the message cannot be sent');
    expect(receiver.received.filter((r) => r.body.userId === user)).toHaveLength(1);
    expect(await counterValue(deliverer.metrics, 'challenge_outbox_parked_total')).toBe(1);
  }, 20_000);

  test('LISTEN wakes delivery at once; without it, the poll delivers', async () => {
    await using receiver = startWebhookReceiver();
    for (const listen of [true, false]) {
      const deliverer = await startTestDelivery({
        databaseUrl: app.db.url,
        url: receiver.url,
        catalog,
        listen,
        pollIntervalMs: listen ? 600_000 : 300,
      });
      try {
        // Let the start-up look for work pass, so only a notification (or the poll) finds the new ones.
        await Bun.sleep(100);
        const before = receiver.accepted().length;
        const user = `wake-${listen}-${crypto.randomUUID()}`;
        const started = performance.now();
        expect((await app.request('POST', '/v1/challenges/initialize', { user })).status).toBe(200);
        await eventually(() => receiver.accepted().length === before + 3, 'three assignments', 5_000);
        const ms = performance.now() - started;
        if (listen) expect(ms).toBeLessThan(1_000);
      } finally {
        await deliverer.stop();
      }
    }
  }, 20_000);
});
