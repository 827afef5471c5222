/**
 * The event pipeline as the platform sees it: the service process, gRPC OnMessage on loopback,
 * and the REST API reading what was committed.
 */
import { afterAll, expect, test } from 'bun:test';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { createEventClient } from '../../src/events/event-client.ts';
import { useEventServices } from '../helpers/event-load.ts';
import { eventually } from '../helpers/notify-delivery.ts';

const NAMESPACE = 'e2e-events';
const { db, start } = await useEventServices(NAMESPACE);
const grpcPort = await freePort();
const service = await start({ configPath: 'config/challenges.test.json', grpcPort });
const client = createEventClient(`127.0.0.1:${grpcPort}`);
afterAll(() => client.close());

const get = async (user: string) => {
  const response = await fetch(`${service.baseUrl}/v1/challenges`, { headers: { 'x-mock-user-id': user } });
  const body = (await response.json()) as {
    challenges: { goals: { goalId: string; progress: number; status: string }[] }[];
  };
  return new Map(body.challenges.flatMap((c) => c.goals).map((g) => [g.goalId, g]));
};
const initialize = (user: string) =>
  fetch(`${service.baseUrl}/v1/challenges/initialize`, {
    method: 'POST',
    headers: { 'x-mock-user-id': user },
  });

test('a scrape right after start shows every event metric family', async () => {
  const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();
  for (const family of [
    'challenge_events_total',
    'challenge_shard_backlog',
    'challenge_event_calls_in_flight',
    'challenge_flush_batch_size',
    'challenge_flush_duration_seconds',
    'challenge_flush_errors_total',
    'challenge_progress_rows_written_total',
    'challenge_event_ack_seconds',
    'challenge_worker_heap_used_bytes',
  ]) {
    expect(metrics).toContain(`# TYPE ${family} `);
  }
  // Each worker thread reports its own heap: the ingress and every shard, each a real size.
  const heaps = [...metrics.matchAll(/^challenge_worker_heap_used_bytes\{thread="([^"]+)"\} (\d+)/gm)];
  const threads = heaps.map(([, thread]) => thread);
  expect(threads).toContain('ingress');
  expect(threads).toContain('shard-0');
  for (const [, , bytes] of heaps) expect(Number(bytes)).toBeGreaterThan(1_000_000);
});

test('a poison event is refused at once; concurrent good events of other players are all acknowledged', async () => {
  const users = Array.from({ length: 20 }, (_, i) => `poison-neighbour-${i}`);
  for (const user of users) await initialize(user);
  const started = performance.now();
  const poison = [
    client.sendLogin({ id: 'poison-nul', userId: 'bad\u0000user', namespace: NAMESPACE }),
    client.sendLogin({ id: 'x'.repeat(10_000), userId: 'poison-long-id', namespace: NAMESPACE }),
    client.sendStat({ id: 'p3', userId: 'u', namespace: NAMESPACE, statCode: 'kills\u0000', value: 1 }),
  ].map((call) =>
    call.then(
      () => 'ok',
      (error: { code?: number }) => error.code,
    ),
  );
  const good = users.map((user, i) =>
    client.sendLogin({ id: `poison-good-${i}`, userId: user, namespace: NAMESPACE }),
  );
  await Promise.all(good);
  expect(performance.now() - started).toBeLessThan(2_000);
  expect(await Promise.all(poison)).toEqual([3, 3, 3]);
  for (const user of users) expect((await get(user)).get('login-3-times')?.progress).toBe(1);
}, 30_000);

test('once OnMessage returns OK, the REST API shows the change', async () => {
  for (let i = 0; i < 20; i++) {
    const user = `ack-user-${i}`;
    await initialize(user);
    await client.sendStat({
      id: `ack-${i}`,
      userId: user,
      namespace: NAMESPACE,
      statCode: 'enemy_kills',
      value: i + 1,
    });
    await client.sendLogin({ id: `ack-login-${i}`, userId: user, namespace: NAMESPACE });
    const goals = await get(user);
    expect(goals.get('defeat-10-enemies')?.progress).toBe(i + 1);
    expect(goals.get('login-3-times')?.progress).toBe(1);
  }
}, 30_000);

test('a redelivered event id is acknowledged and not applied again', async () => {
  await initialize('redelivery');
  for (let i = 0; i < 3; i++)
    await client.sendLogin({ id: 'same-login', userId: 'redelivery', namespace: NAMESPACE });
  expect((await get('redelivery')).get('login-3-times')?.progress).toBe(1);
  // Counted at the moment of the scrape, with no wait for the workers.
  const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();
  expect(metrics).toMatch(/challenge_events_total\{type="login",outcome="duplicate"\} 2\n/);
  expect(metrics).toMatch(/challenge_flush_batch_size_count\{shard="\d"\} [1-9]/);
}, 30_000);

test('the notices a flush sends other replicas are counted on /metrics', async () => {
  const sent = async () => {
    const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();
    return Number(/^challenge_change_notices_total\{outcome="sent"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  };
  await initialize('notice-counter');
  await eventually(async () => (await sent()) > 0, 'the initialize notice counted');
  const before = await sent();
  // Completes a goal: the flush writes an outbox message and names the player after its commit.
  await client.sendStat({
    id: 'notice-counter-1',
    userId: 'notice-counter',
    namespace: NAMESPACE,
    statCode: 'enemy_kills',
    value: 10,
  });
  await eventually(async () => (await sent()) > before, 'the flush notice counted');
  expect(await sent()).toBeGreaterThan(before);
});

test('events for goals the player was never assigned change nothing and create no rows', async () => {
  await initialize('unassigned');
  await client.sendStat({
    id: 'u-1',
    userId: 'unassigned',
    namespace: NAMESPACE,
    statCode: 'matches_played',
    value: 3,
  });
  const rows =
    await db.pool`select goal_id from user_goal_progress where user_id = 'unassigned' order by goal_id`;
  expect(rows.map((row) => row['goal_id'])).toEqual(['defeat-10-enemies', 'login-3-times', 'tutorial']);
});

test('invalid events are rejected with INVALID_ARGUMENT, other namespaces acknowledged and skipped', async () => {
  expect(client.sendLogin({ userId: '', namespace: NAMESPACE })).rejects.toMatchObject({ code: 3 });
  expect(
    client.sendStat({ userId: 'u', namespace: NAMESPACE, statCode: '', value: 1 }),
  ).rejects.toMatchObject({ code: 3 });
  await initialize('foreign');
  await client.sendStat({
    id: 'f-1',
    userId: 'foreign',
    namespace: 'other-namespace',
    statCode: 'enemy_kills',
    value: 9,
  });
  expect((await get('foreign')).get('defeat-10-enemies')?.progress).toBe(0);
});

test('many concurrent events for many users are all applied exactly once', async () => {
  const users = Array.from({ length: 50 }, (_, i) => `bulk-${i}`);
  await Promise.all(users.map(initialize));
  await Promise.all(
    users.flatMap((user) =>
      [1, 2, 3].map((n) =>
        client.sendLogin({ id: `${user}-login-${n}`, userId: user, namespace: NAMESPACE }),
      ),
    ),
  );
  await Promise.all(
    users.flatMap((user) =>
      [1, 2, 3].map((n) =>
        client.sendLogin({ id: `${user}-login-${n}`, userId: user, namespace: NAMESPACE }),
      ),
    ),
  );
  const rows = await db.pool<{ progress: number }[]>`
    select progress from user_goal_progress where user_id like 'bulk-%' and goal_id = 'login-3-times'`;
  expect(rows).toHaveLength(50);
  for (const row of rows) expect(row.progress).toBe(3);
}, 30_000);

test('a goal completed by events can be claimed, and events never touch the claimed row', async () => {
  await initialize('claimer');
  await client.sendStat({
    id: 'c-1',
    userId: 'claimer',
    namespace: NAMESPACE,
    statCode: 'enemy_kills',
    value: 10,
  });
  const claim = await fetch(
    `${service.baseUrl}/v1/challenges/starter-challenge/goals/defeat-10-enemies/claim`,
    {
      method: 'POST',
      headers: { 'x-mock-user-id': 'claimer' },
    },
  );
  expect(claim.status).toBe(200);
  await client.sendStat({
    id: 'c-2',
    userId: 'claimer',
    namespace: NAMESPACE,
    statCode: 'enemy_kills',
    value: 99,
  });
  expect((await get('claimer')).get('defeat-10-enemies')).toMatchObject({ progress: 10, status: 'claimed' });
});
