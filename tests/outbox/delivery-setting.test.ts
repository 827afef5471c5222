/**
 * Whether a webhook is configured decides, per message written, whether it is for delivery: one
 * written without a webhook is kept for live streams to replay but never delivered, even once a
 * webhook is configured later, and the retention does not keep it waiting for a receiver.
 */
import { afterAll, expect, test } from 'bun:test';
import { OUTBOX_START } from '../../src/db/outbox.ts';
import { recordWebhookDelivery } from '../../src/db/outbox-delivery.ts';
import { deleteExpiredMessages } from '../../src/db/outbox-retention.ts';
import { readMessagesAfter } from '../../src/db/stream-reads.ts';
import { eventually, startTestDelivery } from '../helpers/notify-delivery.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { MESSAGES_PER_PLAYER, outboxOrder, playThrough, undeliveredCount } from './player-changes.ts';

const app = await createTestApp();
afterAll(() => app.close());

const forDelivery = async (user: string) =>
  (
    await app.db.pool<{ for_delivery: boolean }[]>`
      select for_delivery from outbox_messages where user_id = ${user} order by tx, id`
  ).map((row) => row.for_delivery);

test('messages written without a webhook are replayed to streams but never delivered', async () => {
  expect(await recordWebhookDelivery(app.db.pool, false)).toBe(true);
  expect(await recordWebhookDelivery(app.db.pool, false)).toBe(false);
  const before = `no-webhook-${crypto.randomUUID()}`;
  // Initialize (a statement's inserts), completions and a claim (row updates): every writer.
  await playThrough(app, before);
  expect(await forDelivery(before)).toEqual(Array(MESSAGES_PER_PLAYER).fill(false));
  expect(await undeliveredCount(app.db.pool)).toBe(0);
  const [replay] = await readMessagesAfter(app.db.pool, [{ userId: before, cursor: OUTBOX_START }], 100);
  expect(replay?.messages).toHaveLength(MESSAGES_PER_PLAYER);

  // A webhook configured later receives what is written from then on, and nothing from before.
  expect(await recordWebhookDelivery(app.db.pool, true)).toBe(true);
  const after = `webhook-${crypto.randomUUID()}`;
  {
    await using receiver = startWebhookReceiver();
    await using _deliverer = await startTestDelivery({
      databaseUrl: app.db.url,
      url: receiver.url,
      catalog: () => app.catalog,
    });
    await playThrough(app, after);
    expect(await forDelivery(after)).toEqual(Array(MESSAGES_PER_PLAYER).fill(true));
    await eventually(() => receiver.accepted().length === MESSAGES_PER_PLAYER, 'the later player’s messages');
    await Bun.sleep(300);
    const order = await outboxOrder(app.db.pool, [before, after]);
    expect(receiver.accepted().map((r) => r.body.id)).toEqual(order.get(after) ?? []);
  }

  // While a webhook is configured the retention keeps messages still to deliver (here: the later
  // player's, made undelivered again with no deliverer running), not those that never were.
  await app.db.pool`update outbox_messages set delivered_at = null where user_id = ${after}`;
  const deleted = await deleteExpiredMessages(app.db.pool, {
    olderThan: new Date(Date.now() + 3_600_000),
    keepUndelivered: true,
    limit: 1_000,
  });
  expect(deleted).toBe(MESSAGES_PER_PLAYER);
  expect(await forDelivery(before)).toEqual([]);
  expect(await forDelivery(after)).toHaveLength(MESSAGES_PER_PLAYER);
}, 30_000);
