/**
 * PostgreSQL stops answering (frozen with SIGSTOP, connections left open) under an event stream:
 * every call is answered UNAVAILABLE within EVENT_DB_WAIT_MS, nothing acknowledged is lost, the
 * service carries on by itself when the database answers again, and SIGTERM during a freeze still
 * shuts down in bounded time.
 */
import { expect, test } from 'bun:test';
import { createPool } from '../../src/db/client.ts';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { createEventClient } from '../../src/events/event-client.ts';
import {
  COUNTING_GOAL,
  countCodes,
  expectNothingAcknowledgedLost,
  initializeUsers,
  streamEvents,
  writeChallengeConfig,
} from '../helpers/event-load.ts';
import { freezePostgres } from '../helpers/freeze-postgres.ts';
import { useOwnPostgres } from '../helpers/own-postgres.ts';
import { startServiceProcess } from '../helpers/service-process.ts';

const NAMESPACE = 'e2e-frozen';
const DB_WAIT_MS = 1_500;
const SHUTDOWN_TIMEOUT_MS = 10_000;
const USERS = Array.from({ length: 6 }, (_, i) => `frozen-user-${i}`);
const OK = 0;
const UNAVAILABLE = 14;

const database = useOwnPostgres('frozen');
const thaws: Array<() => void> = [];

test('a frozen database: UNAVAILABLE within EVENT_DB_WAIT_MS, recovery without a restart, bounded shutdown', async () => {
  const server = await database.start(await freePort());
  const grpcPort = await freePort();
  const service = database.track(
    await startServiceProcess({
      DATABASE_URL: server.url,
      AUTH_MODE: 'mock',
      CHALLENGE_CONFIG_PATH: writeChallengeConfig('frozen-challenge', [COUNTING_GOAL]),
      AB_NAMESPACE: NAMESPACE,
      GRPC_PORT: String(grpcPort),
      EVENT_SHARDS: '2',
      EVENT_DB_WAIT_MS: String(DB_WAIT_MS),
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    }),
  );
  await service.waitForHealthy();
  await initializeUsers(service.baseUrl, USERS);
  const client = createEventClient(`127.0.0.1:${grpcPort}`, { deadlineMs: 30_000 });
  const userOf = (id: string) => USERS[Number(id.split('-').at(-1)) % USERS.length] ?? '';
  const send = (id: string) => client.sendLogin({ id, userId: userOf(id), namespace: NAMESPACE });
  const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const all: string[] = [];
  const acknowledged = new Set<string>();
  try {
    const before = await streamEvents({ ids: ids('before', 200), concurrency: 20, send });
    expect(countCodes(before.outcomes.values())).toEqual(new Map([[OK, 200]]));
    all.push(...before.ok);

    const frozen = freezePostgres(server.dataDir);
    thaws.push(frozen.thaw);
    const during = await streamEvents({ ids: ids('during', 200), concurrency: 20, send });
    all.push(...ids('during', 200));
    for (const id of during.ok) acknowledged.add(id);
    const outcomes = [...during.outcomes.values()];
    expect(countCodes(outcomes).get(UNAVAILABLE) ?? 0).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.code !== UNAVAILABLE && o.code !== OK)).toEqual([]);
    // Answered by the wait bound plus a sweep interval and scheduling slack, never left hanging.
    expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(DB_WAIT_MS + 1_000);

    // The outage is logged with its cause, once per shard and cause, not once per failed attempt.
    const flushErrors = service
      .output()
      .split('\n')
      .filter((line) => line.includes('event flush failed'));
    expect(flushErrors.length).toBeGreaterThanOrEqual(1);
    expect(flushErrors.length).toBeLessThanOrEqual(2 * 3);
    expect(flushErrors.every((line) => line.includes('"err":'))).toBe(true);

    frozen.thaw();
    const after = await streamEvents({ ids: ids('after', 200), concurrency: 20, send });
    expect(countCodes(after.outcomes.values())).toEqual(new Map([[OK, 200]]));
    expect(service.output()).toContain('event flushes succeed again');
    all.push(...after.ok);
    for (const id of [...before.ok, ...after.ok]) acknowledged.add(id);
    const check = createPool({ url: server.url, maxConnections: 2 });
    try {
      await expectNothingAcknowledgedLost(
        check,
        {
          ok: acknowledged,
          outcomes: new Map([...before.outcomes, ...during.outcomes, ...after.outcomes]),
          unsent: [],
        },
        all,
        USERS,
      );
    } finally {
      await check.end({ timeout: 5 });
    }

    // Frozen again with events in flight: SIGTERM still ends the process in bounded time.
    const again = freezePostgres(server.dataDir);
    thaws.push(again.thaw);
    const inFlight = streamEvents({ ids: ids('shutdown', 40), concurrency: 20, send });
    await Bun.sleep(200);
    const started = Date.now();
    const code = await service.terminate('SIGTERM');
    expect(Date.now() - started).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 1_000);
    expect(code).toBe(0);
    const shutdownOutcomes = [...(await inFlight).outcomes.values()];
    expect(shutdownOutcomes.filter((o) => o.code === OK)).toEqual([]);
    again.thaw();
  } finally {
    // Before the file's own clean-up stops the server: a frozen one would not stop.
    for (const thaw of thaws) thaw();
    client.close();
  }
}, 90_000);
