/**
 * PostgreSQL goes away under an event stream and comes back: calls fail in bounded time with
 * UNAVAILABLE, a full backlog answers RESOURCE_EXHAUSTED at once, the process stays up with bounded
 * memory, /healthz reports the outage, and after the database returns every acknowledged event is
 * there and redelivery makes the count exact.
 */
import { expect, test } from 'bun:test';
import { createPool } from '../../src/db/client.ts';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { createEventClient } from '../../src/events/event-client.ts';
import {
  type CallOutcome,
  COUNTING_GOAL,
  countCodes,
  initializeUsers,
  processedIds,
  residentBytes,
  streamEvents,
  totalProgress,
  waitUntil,
  writeChallengeConfig,
} from '../helpers/event-load.ts';
import { useOwnPostgres } from '../helpers/own-postgres.ts';
import { startServiceProcess } from '../helpers/service-process.ts';

const NAMESPACE = 'e2e-outage';
const DB_WAIT_MS = 2_000;
const SHARDS = 2;
const MAX_BACKLOG = 50;
const USERS = Array.from({ length: 6 }, (_, i) => `outage-user-${i}`);
const OK = 0;
const RESOURCE_EXHAUSTED = 8;
const UNAVAILABLE = 14;

const database = useOwnPostgres('outage');

const health = async (baseUrl: string) => {
  try {
    return (await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(5_000) })).status;
  } catch {
    return -1;
  }
};

test('a database outage fails calls in bounded time, sheds load at once, and loses no acknowledged event', async () => {
  const pgPort = await freePort();
  const databaseUrl = (await database.start(pgPort)).url;
  const grpcPort = await freePort();
  const service = await startServiceProcess({
    DATABASE_URL: databaseUrl,
    AUTH_MODE: 'mock',
    CHALLENGE_CONFIG_PATH: writeChallengeConfig('outage-challenge', [COUNTING_GOAL]),
    AB_NAMESPACE: NAMESPACE,
    GRPC_PORT: String(grpcPort),
    EVENT_SHARDS: String(SHARDS),
    EVENT_MAX_BACKLOG: String(MAX_BACKLOG),
    EVENT_DB_WAIT_MS: String(DB_WAIT_MS),
  });
  const running = database.track(service);
  await running.waitForHealthy(); // the service created the schema (migrations) in the fresh database
  await initializeUsers(running.baseUrl, USERS);
  const pid = running.process.pid;

  const client = createEventClient(`127.0.0.1:${grpcPort}`, { deadlineMs: 30_000 });
  const allIds: string[] = [];
  const userOf = new Map<string, string>();
  const makeIds = (prefix: string, count: number) => {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    for (const id of ids) userOf.set(id, USERS[userOf.size % USERS.length] ?? '');
    allIds.push(...ids);
    return ids;
  };
  const send = (id: string) => client.sendLogin({ id, userId: userOf.get(id) ?? '', namespace: NAMESPACE });
  const acknowledged = new Set<string>();

  try {
    // 1. Healthy: everything is acknowledged.
    const warmUp = await streamEvents({ ids: makeIds('warm', 300), concurrency: 20, send });
    expect(countCodes(warmUp.outcomes.values())).toEqual(new Map([[OK, 300]]));
    for (const id of warmUp.ok) acknowledged.add(id);
    const rssBefore = residentBytes(pid);

    // 2. Stop PostgreSQL in the middle of a stream; keep sending for a while after.
    let stoppedAt = Number.POSITIVE_INFINITY;
    const midStream = streamEvents({
      ids: makeIds('mid', 2_000),
      concurrency: 20,
      send,
      stopped: () => Date.now() > stoppedAt + 2_500,
    });
    await Bun.sleep(300);
    await database.stop();
    stoppedAt = Date.now();
    const mid = await midStream;
    for (const id of mid.ok) acknowledged.add(id);
    const midCodes = countCodes(mid.outcomes.values());
    const unavailable = [...mid.outcomes.values()].filter((o) => o.code === UNAVAILABLE);
    // Acknowledged before the stop, UNAVAILABLE after; nothing else, nothing hanging.
    expect([...midCodes.keys()].filter((code) => code !== OK && code !== UNAVAILABLE)).toEqual([]);
    expect(mid.ok.size).toBeGreaterThan(0);
    expect(unavailable.length).toBeGreaterThanOrEqual(20);
    // They waited for the database (at least EVENT_DB_WAIT_MS) and then gave up (bounded).
    const unavailableMs = unavailable.map((o) => o.ms);
    expect(Math.min(...unavailableMs)).toBeGreaterThanOrEqual(DB_WAIT_MS - 100);
    expect(Math.max(...unavailableMs)).toBeLessThan(DB_WAIT_MS + 4_000);

    // 3. /healthz reports the outage.
    expect(await health(running.baseUrl)).toBe(503);

    // 4. A flood while the database is down: the full backlog answers RESOURCE_EXHAUSTED at once,
    //    what was accepted fails UNAVAILABLE after the wait, memory stays bounded.
    const flood = await streamEvents({ ids: makeIds('flood', 3_000), concurrency: 400, send });
    const floodOutcomes = [...flood.outcomes.values()];
    const floodCodes = countCodes(floodOutcomes);
    const exhausted = floodOutcomes.filter((o) => o.code === RESOURCE_EXHAUSTED);
    expect([...floodCodes.keys()].filter((c) => c !== RESOURCE_EXHAUSTED && c !== UNAVAILABLE)).toEqual([]);
    expect(floodCodes.get(UNAVAILABLE) ?? 0).toBeGreaterThan(0);
    // The first 400 calls alone overflow SHARDS × MAX_BACKLOG.
    expect(exhausted.length).toBeGreaterThanOrEqual(400 - SHARDS * MAX_BACKLOG);
    expect(percentile(exhausted, 0.99)).toBeLessThan(DB_WAIT_MS / 2);
    const floodUnavailableMs = floodOutcomes.filter((o) => o.code === UNAVAILABLE).map((o) => o.ms);
    expect(Math.max(...floodUnavailableMs)).toBeLessThan(DB_WAIT_MS + 4_000);

    expect(running.process.exitCode).toBeNull();
    const rssAfter = residentBytes(pid);
    expect(rssAfter).toBeLessThan(2 * rssBefore + 100 * 1024 * 1024);
    expect(await health(running.baseUrl)).toBe(503);
    console.log(
      `outage: mid-stream ${JSON.stringify([...midCodes])}, UNAVAILABLE after ` +
        `${Math.round(Math.min(...unavailableMs))}–${Math.round(Math.max(...unavailableMs))} ms; ` +
        `flood ${JSON.stringify([...floodCodes])}, RESOURCE_EXHAUSTED p99 ` +
        `${Math.round(percentile(exhausted, 0.99))} ms; RSS ${mb(rssBefore)} → ${mb(rssAfter)} MB`,
    );

    // 5. PostgreSQL returns on the same port and data directory; the service recovers by itself.
    await database.start(pgPort);
    await waitUntil('/healthz 200', async () => (await health(running.baseUrl)) === 200, 20_000, 200);
    const check = createPool({ url: databaseUrl, maxConnections: 2 });
    try {
      const stored = await processedIds(check, allIds);
      expect([...acknowledged].filter((id) => !stored.has(id))).toEqual([]);

      // 6. The platform redelivers everything: each distinct event counts exactly once.
      const redelivery = await streamEvents({ ids: allIds, concurrency: 20, send });
      expect(countCodes(redelivery.outcomes.values())).toEqual(new Map([[OK, allIds.length]]));
      expect(await totalProgress(check, COUNTING_GOAL.goalId, USERS)).toBe(allIds.length);
      expect((await processedIds(check, allIds)).size).toBe(allIds.length);
    } finally {
      await check.end({ timeout: 5 });
    }
    expect(await running.terminate('SIGTERM')).toBe(0);
  } finally {
    client.close();
  }
}, 60_000);

function percentile(outcomes: readonly CallOutcome[], p: number): number {
  const sorted = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
