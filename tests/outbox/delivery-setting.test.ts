/**
 * Whether a message is for delivery is decided per message written, by one setting every replica
 * shares: a replica with a webhook turns it on and renews it; one without a webhook turns it off
 * only once no replica has renewed it for a while. A message written while it is off is kept for
 * live streams to replay but never delivered; the retention keeps what a webhook still has to
 * receive, whichever replica runs it.
 */
import { afterAll, expect, test } from 'bun:test';
import type { Pool } from '../../src/db/client.ts';
import { OUTBOX_START } from '../../src/db/outbox.ts';
import { deleteExpiredMessages } from '../../src/db/outbox-retention.ts';
import { readMessagesAfter } from '../../src/db/stream-reads.ts';
import { createLogger } from '../../src/log.ts';
import { startDeliverySetting } from '../../src/outbox/delivery-setting.ts';
import { eventually, startTestDelivery } from '../helpers/notify-delivery.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { MESSAGES_PER_PLAYER, outboxOrder, playThrough, undeliveredCount } from './player-changes.ts';

const app = await createTestApp();
const stops: Array<() => void> = [];
afterAll(async () => {
  for (const stop of stops) stop();
  await app.close();
});

const forDelivery = async (user: string) =>
  (
    await app.db.pool<{ for_delivery: boolean }[]>`
      select for_delivery from outbox_messages where user_id = ${user} order by tx, id`
  ).map((row) => row.for_delivery);

const deliveryOn = async (pool: Pool) =>
  (await pool<{ webhook_delivery: boolean }[]>`select webhook_delivery from outbox_settings`)[0]
    ?.webhook_delivery;

/** A replica's part in the setting, as service.ts starts it; its log lines are collected. */
async function replica(webhook: boolean, options: { idleMs?: number; intervalMs?: number } = {}) {
  const lines: Array<{ level: string; msg: string }> = [];
  const setting = await startDeliverySetting({
    db: app.db.pool,
    webhook,
    logger: createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) }),
    ...options,
  });
  stops.push(setting.stop);
  return { lines, stop: setting.stop };
}

/** A retention cycle as though every message were past the retention. */
const expireAll = () =>
  deleteExpiredMessages(app.db.pool, { olderThan: new Date(Date.now() + 3_600_000), limit: 1_000 });

test('a replica without a webhook, started after one with a webhook, leaves delivery on', async () => {
  await app.db.pool`update outbox_settings set webhook_delivery = false, webhook_renewed_at = null`;
  const delivering = await replica(true, { intervalMs: 50 });
  expect(delivering.lines.map((line) => line.msg)).toEqual([
    'a webhook is configured: outbox messages written from now on are delivered to it',
  ]);
  const plain = await replica(false, { intervalMs: 50 });
  await Bun.sleep(200);
  expect(plain.lines).toEqual([]);
  expect(await deliveryOn(app.db.pool)).toBe(true);

  const user = `mixed-${crypto.randomUUID()}`;
  await playThrough(app, user);
  expect(await forDelivery(user)).toEqual(Array(MESSAGES_PER_PLAYER).fill(true));
  // Its retention keeps them too: the webhook has not received them yet.
  expect(await expireAll()).toBe(0);
  expect(await forDelivery(user)).toHaveLength(MESSAGES_PER_PLAYER);

  // The delivering replica stops; once nobody has renewed delivery for the idle time, the other
  // turns it off, says so, and what is written from then on is not for delivery.
  delivering.stop();
  plain.stop();
  await app.db.pool`update outbox_settings set webhook_renewed_at = now() - interval '2 minutes'`;
  const later = await replica(false, { idleMs: 60_000, intervalMs: 50 });
  expect(later.lines).toMatchObject([
    { level: 'warn', msg: expect.stringContaining('no replica with a webhook has run for a while') },
  ]);
  expect(await deliveryOn(app.db.pool)).toBe(false);
  const after = `after-${crypto.randomUUID()}`;
  await playThrough(app, after);
  expect(await forDelivery(after)).toEqual(Array(MESSAGES_PER_PLAYER).fill(false));
  later.stop();
  await app.db.pool`delete from outbox_messages`;
}, 30_000);

test('a replica with a webhook renews delivery while it runs', async () => {
  await app.db.pool`update outbox_settings set webhook_delivery = true`;
  const renewedAt = async () =>
    (await app.db.pool<{ at: Date }[]>`select webhook_renewed_at as at from outbox_settings`)[0]?.at;
  await app.db.pool`update outbox_settings set webhook_renewed_at = now() - interval '10 minutes'`;
  const delivering = await replica(true, { intervalMs: 50 });
  const first = await renewedAt();
  await eventually(async () => ((await renewedAt())?.getTime() ?? 0) > (first?.getTime() ?? 0), 'a renewal');
  delivering.stop();
  // Renewed a moment ago: a replica without a webhook that starts now keeps it on.
  const plain = await replica(false, { idleMs: 60_000 });
  expect(plain.lines).toEqual([]);
  expect(await deliveryOn(app.db.pool)).toBe(true);
});

test('messages written while delivery is off are replayed to streams but never delivered', async () => {
  await app.db.pool`update outbox_settings set webhook_delivery = true, webhook_renewed_at = null`;
  const plain = await replica(false);
  // Never renewed: the database has not had a webhook, which is said without a warning.
  expect(plain.lines).toEqual([
    expect.objectContaining({ level: 'info', msg: expect.stringContaining('no replica has a webhook') }),
  ]);
  const before = `no-webhook-${crypto.randomUUID()}`;
  // Initialize (a statement's inserts), completions and a claim (row updates): every writer.
  await playThrough(app, before);
  expect(await forDelivery(before)).toEqual(Array(MESSAGES_PER_PLAYER).fill(false));
  expect(await undeliveredCount(app.db.pool)).toBe(0);
  const [replay] = await readMessagesAfter(app.db.pool, [{ userId: before, cursor: OUTBOX_START }], 100);
  expect(replay?.messages).toHaveLength(MESSAGES_PER_PLAYER);

  // A webhook configured later receives what is written from then on, and nothing from before.
  await replica(true);
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

  // While delivery is on the retention keeps messages still to deliver (here: the later player's,
  // made undelivered again with no deliverer running), not those that never were.
  await app.db.pool`update outbox_messages set delivered_at = null where user_id = ${after}`;
  expect(await expireAll()).toBe(MESSAGES_PER_PLAYER);
  expect(await forDelivery(before)).toEqual([]);
  expect(await forDelivery(after)).toHaveLength(MESSAGES_PER_PLAYER);
}, 30_000);
