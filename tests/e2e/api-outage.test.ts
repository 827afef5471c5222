/**
 * PostgreSQL goes away while claims (transactions) are in flight on the HTTP side: requests fail
 * cleanly instead of hanging, the process stays up, and once the database is back the API serves
 * claims again (the pool recovers from connections the driver broke).
 */
import { expect, test } from 'bun:test';
import { createPool } from '../../src/db/client.ts';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { useOwnPostgres } from '../helpers/own-postgres.ts';
import { startServiceProcess } from '../helpers/service-process.ts';

const database = useOwnPostgres('api-outage');

test('claims in flight when the database drops fail cleanly; the API recovers when it returns', async () => {
  const pgPort = await freePort();
  const postgres = await database.start(pgPort);
  const service = await startServiceProcess({
    DATABASE_URL: postgres.url,
    AUTH_MODE: 'mock',
    CHALLENGE_CONFIG_PATH: 'config/challenges.test.json',
    AB_NAMESPACE: 'api-outage',
    GRPC_PORT: String(await freePort()),
    EVENT_SHARDS: '1',
    DB_POOL_MAX: '8',
    REQUEST_TIMEOUT_MS: '3000',
    REWARD_TIMEOUT_MS: '2000',
  });
  const running = database.track(service);
  await running.waitForHealthy();
  const base = running.baseUrl;
  const users = Array.from({ length: 400 }, (_, i) => `outage-claimer-${i}`);
  const headers = (user: string) => ({ 'x-mock-user-id': user });
  for (const user of users)
    await fetch(`${base}/v1/challenges/initialize`, { method: 'POST', headers: headers(user) });
  const seed = createPool({ url: postgres.url, maxConnections: 1 });
  await seed`update user_goal_progress set progress = 10, status = 'completed', completed_at = now()
    where goal_id = 'defeat-10-enemies'`;
  await seed.end();

  const claim = async (user: string) => {
    const started = Date.now();
    try {
      const response = await fetch(`${base}/v1/challenges/starter-challenge/goals/defeat-10-enemies/claim`, {
        method: 'POST',
        headers: headers(user),
        signal: AbortSignal.timeout(20_000),
      });
      return { status: response.status, ms: Date.now() - started };
    } catch {
      return { status: -1, ms: Date.now() - started };
    }
  };

  // Claims keep transactions open on many connections; the database stops in the middle of them.
  const inFlight = users.slice(0, 300).map((user, i) => Bun.sleep(i * 2).then(() => claim(user)));
  await Bun.sleep(150);
  await database.stop();
  const outcomes = await Promise.all(inFlight);

  // Every request got an answer (no hang); none was cut off by a dying process.
  for (const outcome of outcomes) expect(outcome.status).toBeGreaterThan(0);
  // Those that failed did so as "unavailable, retry" (503), never as an internal error (500).
  expect(outcomes.some((outcome) => outcome.status === 503)).toBe(true);
  expect(outcomes.filter((outcome) => outcome.status === 500)).toEqual([]);
  expect(running.process.exitCode).toBeNull();
  expect((await fetch(`${base}/healthz`)).status).toBe(503);

  await database.start(pgPort);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && (await fetch(`${base}/healthz`)).status !== 200) await Bun.sleep(200);
  expect((await fetch(`${base}/healthz`)).status).toBe(200);

  // After recovery the remaining players can claim; retry briefly while broken connections are replaced.
  const later = users.slice(300, 340);
  const results: number[] = [];
  for (const user of later) {
    let result = await claim(user);
    for (let attempt = 0; attempt < 5 && result.status >= 500; attempt++) {
      await Bun.sleep(200);
      result = await claim(user);
    }
    results.push(result.status);
  }
  expect(results.every((status) => status === 200)).toBe(true);
  expect(running.process.exitCode).toBeNull();
  expect(running.output()).not.toContain('"level":"fatal"');
}, 120_000);
