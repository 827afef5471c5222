/**
 * A transaction that notifies holds a lock of the whole cluster from just before its commit until
 * the commit is durable. A commit that waits long for its disk (here: for a synchronous standby that
 * never comes, the same wait at the same point) must not hold up other players' /initialize, event
 * flushes or claims, so none of their transactions may notify; their notices follow the commit.
 */
import { afterAll, expect, test } from 'bun:test';
import { OUTBOX_CHANNEL } from '../../src/db/change-notices.ts';
import { createPool, warmUp } from '../../src/db/client.ts';
import { applyEventBatch } from '../../src/pipeline/apply-events.ts';
import { eventually } from '../helpers/notify-delivery.ts';
import { statEvent } from '../helpers/pipeline-events.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { adminUrl, createTestDb, type TestDb } from '../helpers/test-db.ts';

const base = await createTestDb();
// This database's sessions commit without waiting for a standby; the stuck one below asks to.
await base.pool.unsafe(`alter database ${base.name} set synchronous_commit = local`);
const pool = createPool({ url: base.url, maxConnections: 10 });
await warmUp(pool);
const db: TestDb = { ...base, pool };
const app = await createTestApp({ db });
const admin = createPool({ url: adminUrl(), maxConnections: 1 });
const stuck = createPool({ url: base.url, maxConnections: 1 });
const released = async () => {
  await admin.unsafe('alter system reset synchronous_standby_names');
  await admin`select pg_reload_conf()`;
};
afterAll(async () => {
  await released();
  await app.close();
  await Promise.all([stuck.end({ timeout: 5 }), admin.end(), pool.end({ timeout: 5 })]);
  await base.drop();
});

test('a notifying commit stuck on its disk holds up no /initialize, flush or claim', async () => {
  const heard: string[] = [];
  const listener = await app.db.pool.listen(OUTBOX_CHANNEL, (payload) => heard.push(payload));
  await admin.unsafe(`alter system set synchronous_standby_names = 'a_standby_that_never_connects'`);
  await admin`select pg_reload_conf()`;
  const holder = stuck.begin(async (tx) => {
    await tx`set local synchronous_commit = on`;
    await tx`select pg_notify('elsewhere', 'holds the lock until its commit is durable')`;
  });
  try {
    await eventually(
      async () =>
        (
          await admin<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = ${base.name} and wait_event = 'SyncRep'`
        )[0]?.n === 1,
      'the stuck commit',
    );
    const started = performance.now();
    const initialized = await app.json<{ newAssignments: number }>('POST', '/v1/challenges/initialize', {
      user: 'while-stuck',
    });
    expect(initialized.status).toBe(200);
    expect(initialized.body.newAssignments).toBeGreaterThan(0);
    const flushed = await applyEventBatch(
      app.db.pool,
      app.catalog,
      [statEvent('while-stuck', 'enemy_kills', 12)],
      new Date(),
    );
    expect(flushed.notices.outboxPlayers).toEqual(['while-stuck']);
    const claimed = await app.request(
      'POST',
      '/v1/challenges/starter-challenge/goals/defeat-10-enemies/claim',
      {
        user: 'while-stuck',
      },
    );
    expect(claimed.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(3_000);
    // Their notices wait for the lock like any notifying commit, and go out once it is free.
    await released();
    await holder;
    await app.notices.settled();
    await eventually(() => heard.includes('while-stuck'), 'the notice of the player written meanwhile');
  } finally {
    await released();
    await holder.catch(() => {});
    await listener.unlisten();
  }
});
