/**
 * Live configuration across two service processes on one PostgreSQL, under a stream of events:
 * the file is changed and one replica gets SIGHUP; both switch to the new rules within seconds,
 * without a restart. No acknowledged event is lost or applied twice, and no flush applies some
 * events under the old rules and some under the new.
 *
 * The rules swap which goal counts a stat: before, `kills` advances `old-goal`; after, `new-goal`.
 * Every player has both goals, so each applied event moved exactly one of them, and the audit
 * trail says which.
 */
import { afterAll, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { readAuditEntries } from '../../src/db/event-audit.ts';
import { createEventClient } from '../../src/events/event-client.ts';
import { storedCatalog } from '../../src/live-config/config-catalogs.ts';
import { shardOf } from '../../src/pipeline/pipeline-event.ts';
import {
  type ConfigGoal,
  countCodes,
  initializeUsers,
  processedIds,
  streamEvents,
  totalProgress,
  waitUntil,
  writeChallengeConfig,
} from '../helpers/event-load.ts';
import { type ServiceProcess, startServiceProcess } from '../helpers/service-process.ts';
import { createTestDb } from '../helpers/test-db.ts';

const NAMESPACE = 'live-config';
const SHARDS = 2;
const counting = (goalId: string, statCode: string): ConfigGoal => ({
  goalId,
  type: 'increment',
  eventSource: 'statistic',
  statCode,
  targetValue: 1_000_000,
});
const configPath = writeChallengeConfig('live', [
  counting('old-goal', 'kills'),
  counting('new-goal', 'unused'),
]);
const after = readFileSync(
  writeChallengeConfig('live', [counting('old-goal', 'unused'), counting('new-goal', 'kills')]),
  'utf8',
);
const db = await createTestDb();
const replicas: ServiceProcess[] = [];
afterAll(async () => {
  for (const replica of replicas) await replica.terminate('SIGKILL');
  await db.drop();
});

async function startReplica() {
  const grpcPort = await freePort();
  const service = await startServiceProcess({
    DATABASE_URL: db.url,
    AUTH_MODE: 'mock',
    CHALLENGE_CONFIG_PATH: configPath,
    AB_NAMESPACE: NAMESPACE,
    GRPC_PORT: String(grpcPort),
    EVENT_SHARDS: String(SHARDS),
    CONFIG_POLL_INTERVAL_MS: '300',
  });
  replicas.push(service);
  await service.waitForHealthy();
  return { service, client: createEventClient(`127.0.0.1:${grpcPort}`) };
}

/** The stat code `new-goal` counts, as the replica's player view shows it. */
async function newGoalStat(service: ServiceProcess): Promise<string | undefined> {
  const response = await fetch(`${service.baseUrl}/v1/challenges`, {
    headers: { 'x-mock-user-id': 'viewer' },
  });
  const body = (await response.json()) as {
    challenges: Array<{ goals: Array<{ goalId: string; requirement: { statCode: string } }> }>;
  };
  return body.challenges[0]?.goals.find((goal) => goal.goalId === 'new-goal')?.requirement.statCode;
}

test('SIGHUP on one replica: both switch rules under load; nothing lost, no flush under mixed rules', async () => {
  const [one, two] = await Promise.all([startReplica(), startReplica()]);
  const users = {
    one: Array.from({ length: 20 }, (_, i) => `one-${i}`),
    two: Array.from({ length: 20 }, (_, i) => `two-${i}`),
  };
  await initializeUsers(one.service.baseUrl, users.one);
  await initializeUsers(two.service.baseUrl, users.two);

  let stop = false;
  const stream = (name: 'one' | 'two', client: typeof one.client) => {
    const ids = Array.from({ length: 200_000 }, (_, i) => `${name}-event-${i}`);
    return streamEvents({
      ids,
      concurrency: 8,
      stopped: () => stop,
      send: (id) =>
        client.sendStat({
          id,
          userId: users[name][Number(id.split('-').at(-1)) % users[name].length] ?? '',
          namespace: NAMESPACE,
          statCode: 'kills',
          value: 1,
        }),
    });
  };
  const streams = Promise.all([stream('one', one.client), stream('two', two.client)]);
  try {
    await Bun.sleep(1_500);
    writeFileSync(configPath, after);
    one.service.process.kill('SIGHUP');
    const switched = Date.now();
    await waitUntil(
      'replica one on the new rules',
      async () => (await newGoalStat(one.service)) === 'kills',
      5_000,
    );
    await waitUntil(
      'replica two on the new rules',
      async () => (await newGoalStat(two.service)) === 'kills',
      5_000,
    );
    expect(Date.now() - switched).toBeLessThan(5_000);
    await Bun.sleep(1_000);
  } finally {
    stop = true;
  }
  const [fromOne, fromTwo] = await streams;
  for (const result of [fromOne, fromTwo]) {
    expect(countCodes(result.outcomes.values())).toEqual(new Map([[0, result.outcomes.size]]));
    expect(result.outcomes.size).toBeGreaterThan(200);
  }
  expect(one.service.output()).toContain('SIGHUP: challenge configuration applied from the file');

  // Nothing lost, nothing twice: the two goals together count every acknowledged event once.
  const everyone = [...users.one, ...users.two];
  const sent = [...fromOne.ok, ...fromTwo.ok];
  expect((await processedIds(db.pool, sent)).size).toBe(sent.length);
  const oldCount = await totalProgress(db.pool, 'old-goal', everyone);
  const newCount = await totalProgress(db.pool, 'new-goal', everyone);
  expect(oldCount + newCount).toBe(sent.length);
  expect(oldCount).toBeGreaterThan(0);
  expect(newCount).toBeGreaterThan(0);

  // One flush = one shard of one replica at one commit time: all its events moved the same goal.
  const goalsByFlush = new Map<string, Set<string>>();
  for (const user of everyone) {
    for (const entry of await readAuditEntries(db.pool, user, {
      limit: 1_000,
      catalogOf: (id) => storedCatalog(db.pool, id),
    })) {
      const moved = entry.goals
        .filter((effect) => effect.result === 'changed')
        .map((effect) => effect.goalId);
      expect(moved).toHaveLength(1);
      const flush = `${user.split('-')[0]} ${shardOf(user, SHARDS)} ${entry.recordedAt.toISOString()}`;
      const goals = goalsByFlush.get(flush) ?? new Set<string>();
      for (const goalId of moved) goals.add(goalId);
      goalsByFlush.set(flush, goals);
    }
  }
  const mixed = [...goalsByFlush].filter(([, goals]) => goals.size > 1);
  expect(mixed).toEqual([]);
  one.client.close();
  two.client.close();
}, 60_000);
