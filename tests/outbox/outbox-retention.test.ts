/**
 * The outbox retention deletes messages older than OUTBOX_RETENTION_HOURS in bounded batches:
 * only delivered and parked ones while delivery is on, whichever replica runs it, every one
 * otherwise.
 */
import { afterAll, beforeEach, expect, test } from 'bun:test';
import { deleteExpiredMessages } from '../../src/db/outbox-retention.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics.ts';
import { startOutboxRetention } from '../../src/outbox/outbox-retention.ts';
import { counterValue, eventually } from '../helpers/notify-delivery.ts';
import { createTestApp } from '../helpers/test-app.ts';

const app = await createTestApp();
afterAll(async () => {
  for (const stop of stops) stop();
  await app.close();
});
const HOUR = 3_600_000;
const NOW = new Date('2026-06-01T12:00:00Z');

const stops: Array<() => void> = [];
beforeEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await app.db.pool`delete from outbox_messages`;
  await app.db.pool`update outbox_settings set webhook_delivery = true, webhook_renewed_at = null`;
});

/** Three messages per player, occurred `hoursAgo` before NOW, delivered / parked / still to deliver. */
async function seed(hoursAgo: number): Promise<void> {
  const user = `retention-${crypto.randomUUID()}`;
  await app.request('POST', '/v1/challenges/initialize', { user });
  await app.db.pool`
    update outbox_messages m set occurred_at = ${new Date(NOW.getTime() - hoursAgo * HOUR)},
      delivered_at = case when m.goal_id = 'defeat-10-enemies' then now() end,
      parked_at = case when m.goal_id = 'login-3-times' then now() end
    where m.user_id = ${user}`;
}

const left = async () =>
  (
    await app.db.pool<{ state: string; old: boolean }[]>`
      select case when delivered_at is not null then 'delivered' when parked_at is not null then 'parked'
        else 'pending' end as state, occurred_at < ${new Date(NOW.getTime() - 72 * HOUR)} as old
      from outbox_messages`
  )
    .map((row) => `${row.old ? 'old' : 'recent'} ${row.state}`)
    .sort();

/** A retention cycle as any replica runs it, with the database's delivery setting `delivery`. */
const retention = async (
  delivery: boolean,
  options: { batchSize?: number; maxBatchesPerCycle?: number } = {},
) => {
  await app.db.pool`update outbox_settings set webhook_delivery = ${delivery}`;
  const metrics = createMetrics({ defaultMetrics: false });
  const cleanup = startOutboxRetention({
    db: app.db.pool,
    retentionMs: 72 * HOUR,
    intervalMs: 3_600_000,
    pauseMs: 0,
    metrics,
    logger: createLogger('fatal'),
    clock: () => NOW,
    ...options,
  });
  stops.push(cleanup.stop);
  return { runOnce: cleanup.runOnce, deleted: () => counterValue(metrics, 'challenge_outbox_deleted_total') };
};

test('while delivery is on: delivered and parked messages past the retention go, the rest stay', async () => {
  await seed(100);
  await seed(10);
  const { runOnce, deleted } = await retention(true);
  expect(await runOnce()).toBe(2);
  expect(await deleted()).toBe(2);
  expect(await left()).toEqual(['old pending', 'recent delivered', 'recent parked', 'recent pending']);
});

test('while delivery is off: every message past the retention goes', async () => {
  await seed(100);
  await seed(10);
  expect(await (await retention(false)).runOnce()).toBe(3);
  expect(await left()).toEqual(['recent delivered', 'recent parked', 'recent pending']);
});

test('while delivery is off, messages still to deliver stay for the retention after the last renewal', async () => {
  await seed(100);
  // The last delivering replica ran 10 hours ago: a webhook that comes back within the retention still gets them.
  await app.db.pool`update outbox_settings set webhook_renewed_at = ${new Date(NOW.getTime() - 10 * HOUR)}`;
  expect(await (await retention(false)).runOnce()).toBe(2);
  expect(await left()).toEqual(['old pending']);
  await app.db.pool`update outbox_settings set webhook_renewed_at = ${new Date(NOW.getTime() - 80 * HOUR)}`;
  expect(await (await retention(false)).runOnce()).toBe(1);
  expect(await left()).toEqual([]);
});

test('in batches; a cycle stops after its last batch and the next one goes on', async () => {
  for (let i = 0; i < 3; i++) await seed(100);
  expect(await (await retention(false, { batchSize: 2 })).runOnce()).toBe(9);
  for (let i = 0; i < 3; i++) await seed(100);
  const bounded = await retention(false, { batchSize: 2, maxBatchesPerCycle: 2 });
  expect(await bounded.runOnce()).toBe(4);
  expect(await bounded.runOnce()).toBe(4);
  expect(await bounded.runOnce()).toBe(1);
});

test('a parked message redelivered while a batch deletes is kept', async () => {
  await seed(100);
  const [parked] = await app.db.pool<{ id: string }[]>`
    select id::text from outbox_messages where parked_at is not null`;
  const redelivery = await app.db.pool.reserve();
  try {
    // The redelivery holds the row while the batch has already chosen it, as parked and old.
    await redelivery`begin`;
    await redelivery`update outbox_messages set parked_at = null, attempts = 0, next_attempt_at = now()
      where id = ${parked?.id ?? '0'}::bigint`;
    const deleting = deleteExpiredMessages(app.db.pool, {
      olderThan: new Date(NOW.getTime() - 72 * HOUR),
      limit: 100,
    });
    await eventually(
      async () =>
        (
          await app.db.pool`
            select 1 from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'
              and query like '%delete from outbox_messages%'`
        ).length > 0,
      'the batch waiting for the redelivery',
    );
    await redelivery`commit`;
    expect(await deleting).toBe(1);
  } finally {
    redelivery.release();
  }
  expect(await left()).toEqual(['old pending', 'old pending']);
});
