/**
 * The `/healthz` check runs on a connection of its own: it answers while the API's pool is busy,
 * and a connection gone silent (a dropped network path: no reset, no answer) fails one check at
 * its deadline and is replaced, so the next check answers again instead of every later one failing;
 * the first answer after failures is announced, once.
 */
import { afterAll, expect, test } from 'bun:test';
import { createDatabaseCheck } from '../../src/db/health-check.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb({ maxConnections: 1 });
const direct = new URL(db.url);
const proxy = startTcpProxy({ hostname: direct.hostname, port: Number(direct.port) });
afterAll(async () => {
  proxy.stop();
  await db.drop();
});

test('the check answers while the API pool is taken, and recovers from a silent connection', async () => {
  const proxied = new URL(db.url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  let recoveries = 0;
  const databaseCheck = createDatabaseCheck({
    url: proxied.toString(),
    timeoutMs: 500,
    onRecovered: () => recoveries++,
  });
  // The test's own one-connection pool, taken by a long transaction, as a busy API pool would be.
  const busy = db.pool.begin(async (tx) => {
    await tx`select pg_sleep(1.5)`;
  });
  try {
    const started = performance.now();
    await databaseCheck.check();
    expect(performance.now() - started).toBeLessThan(500);

    expect(proxy.silenceOpenConnections()).toBe(1);
    const failedAt = performance.now();
    await expect(databaseCheck.check()).rejects.toThrow('did not answer within 500 ms');
    expect(performance.now() - failedAt).toBeLessThan(1_000);
    // One slow check is no outage: answered again, nothing is announced.
    await waitForAnswer(databaseCheck);
    expect(recoveries).toBe(0);
    // Two in a row are (two probes on the connection gone silent again).
    expect(proxy.silenceOpenConnections()).toBe(1);
    const probes = await Promise.allSettled([databaseCheck.check(), databaseCheck.check()]);
    expect(probes.map((probe) => probe.status)).toEqual(['rejected', 'rejected']);
    // The silent connection was replaced: the next check goes over a new one.
    await waitForAnswer(databaseCheck);
    // Told once that the database answers again (the service then replaces the API's connections).
    expect(recoveries).toBe(1);
    await databaseCheck.check();
    expect(recoveries).toBe(1);
  } finally {
    await busy;
    await databaseCheck.close();
  }
}, 20_000);

/** Checks until one answers (the connection replaced after a silence comes up within a moment). */
async function waitForAnswer(databaseCheck: ReturnType<typeof createDatabaseCheck>): Promise<void> {
  const deadline = Date.now() + 5_000;
  let answered = false;
  while (!answered && Date.now() < deadline) {
    answered = await databaseCheck.check().then(
      () => true,
      () => false,
    );
  }
  expect(answered).toBe(true);
}
