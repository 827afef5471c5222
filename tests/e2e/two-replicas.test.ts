/**
 * Two service processes on one PostgreSQL, as a multi-replica deployment runs: one player's events
 * are split across both (and redelivered to the other one), and both are asked to claim the same
 * goal at the same moment. Every event is applied exactly once and the reward is granted once.
 */
import { afterAll, expect, test } from 'bun:test';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { createEventClient } from '../../src/events/event-client.ts';
import {
  COUNTING_GOAL,
  countCodes,
  streamEvents,
  totalProgress,
  writeChallengeConfig,
} from '../helpers/event-load.ts';
import { type ServiceProcess, startServiceProcess } from '../helpers/service-process.ts';
import { createTestDb } from '../helpers/test-db.ts';
import { startFakeServer } from '../rewards/fake-server.ts';

const NAMESPACE = 'two-replicas';
const USER = 'shared-player';
const EVENTS = 600;
const db = await createTestDb();
const webhook = startFakeServer(async () => {
  await Bun.sleep(100); // a grant that takes a while, so the claims really overlap
  return new Response('{}', { status: 200 });
});
const config = writeChallengeConfig('replica-challenge', [
  COUNTING_GOAL,
  { goalId: 'log-in-twice', type: 'absolute', eventSource: 'login', targetValue: 2 },
]);
const replicas: ServiceProcess[] = [];
afterAll(async () => {
  for (const replica of replicas) await replica.terminate('SIGKILL');
  await webhook.stop();
  await db.drop();
});

async function startReplica(): Promise<{ service: ServiceProcess; grpcPort: number }> {
  const grpcPort = await freePort();
  const service = await startServiceProcess({
    DATABASE_URL: db.url,
    AUTH_MODE: 'mock',
    REWARD_MODE: 'webhook',
    REWARD_WEBHOOK_URL: webhook.url,
    REWARD_WEBHOOK_SECRET: 'replica-secret',
    ALLOW_MOCK_AUTH_WITH_REAL_REWARDS: 'true',
    CHALLENGE_CONFIG_PATH: config,
    AB_NAMESPACE: NAMESPACE,
    GRPC_PORT: String(grpcPort),
    EVENT_SHARDS: '2',
  });
  replicas.push(service);
  await service.waitForHealthy();
  return { service, grpcPort };
}

test('events split across two replicas apply once; simultaneous claims at both grant once', async () => {
  const [a, b] = await Promise.all([startReplica(), startReplica()]);
  const headers = { 'x-mock-user-id': USER };
  expect(
    (await fetch(`${a.service.baseUrl}/v1/challenges/initialize`, { method: 'POST', headers })).status,
  ).toBe(200);
  const clients = [a, b].map((replica) => createEventClient(`127.0.0.1:${replica.grpcPort}`));
  try {
    const ids = Array.from({ length: EVENTS }, (_, i) => `replica-event-${i}`);
    const sendTo = (replica: number) => (id: string) =>
      (clients[replica] ?? clients[0])?.sendLogin({ id, userId: USER, namespace: NAMESPACE }) ??
      Promise.resolve();
    const indexOf = (id: string) => Number(id.split('-').at(-1));
    // Half to each replica, concurrently; then every event redelivered to the other replica.
    const [even, odd] = await Promise.all([
      streamEvents({ ids: ids.filter((id) => indexOf(id) % 2 === 0), concurrency: 10, send: sendTo(0) }),
      streamEvents({ ids: ids.filter((id) => indexOf(id) % 2 === 1), concurrency: 10, send: sendTo(1) }),
    ]);
    const [evenAgain, oddAgain] = await Promise.all([
      streamEvents({ ids: ids.filter((id) => indexOf(id) % 2 === 0), concurrency: 10, send: sendTo(1) }),
      streamEvents({ ids: ids.filter((id) => indexOf(id) % 2 === 1), concurrency: 10, send: sendTo(0) }),
    ]);
    for (const stream of [even, odd, evenAgain, oddAgain]) {
      expect(countCodes(stream.outcomes.values())).toEqual(new Map([[0, EVENTS / 2]]));
    }
    expect(await totalProgress(db.pool, COUNTING_GOAL.goalId, [USER])).toBe(EVENTS);

    // The goal is complete; both replicas are asked to claim it at once, ten times each.
    const claim = (replica: ServiceProcess) =>
      fetch(`${replica.baseUrl}/v1/challenges/replica-challenge/goals/log-in-twice/claim`, {
        method: 'POST',
        headers,
      }).then((response) => response.status);
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => claim(i % 2 === 0 ? a.service : b.service)),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status !== 200 && status !== 409)).toEqual([]);
    expect(webhook.requests).toHaveLength(1);
    const ledger = await db.pool<{ status: string }[]>`
      select status from reward_claims where user_id = ${USER} and goal_id = 'log-in-twice'`;
    expect(ledger.map((row) => row.status)).toEqual(['granted']);
  } finally {
    for (const client of clients) client.close();
  }
}, 90_000);
