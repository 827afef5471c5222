/**
 * kill -9 in the middle of an event stream: nothing acknowledged is lost, and redelivering every
 * event after a restart leaves each one applied exactly once.
 */
import { expect, test } from 'bun:test';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { createEventClient } from '../../src/events/event-client.ts';
import {
  COUNTING_GOAL,
  countCodes,
  initializeUsers,
  processedIds,
  streamEvents,
  totalProgress,
  useEventServices,
  writeChallengeConfig,
} from '../helpers/event-load.ts';

const NAMESPACE = 'e2e-crash';
const EVENTS = 4_000;
const IN_FLIGHT = 50;
const USERS = Array.from({ length: 8 }, (_, i) => `crash-user-${i}`);

const { db, start } = await useEventServices(NAMESPACE);
const configPath = writeChallengeConfig('crash-challenge', [COUNTING_GOAL]);
const startService = (grpcPort: number) => start({ configPath, grpcPort });

test('kill -9 mid-stream loses no acknowledged event; redelivery applies each event exactly once', async () => {
  const grpcPort = await freePort();
  const ids = Array.from({ length: EVENTS }, (_, i) => `crash-${i}`);
  const userOf = (id: string) => USERS[Number(id.slice('crash-'.length)) % USERS.length] ?? '';
  const client = createEventClient(`127.0.0.1:${grpcPort}`, { deadlineMs: 15_000 });
  const send = (id: string) => client.sendLogin({ id, userId: userOf(id), namespace: NAMESPACE });

  try {
    const first = await startService(grpcPort);
    await initializeUsers(first.baseUrl, USERS);

    // Stream, and kill the whole process (workers included) after ~1 s, or earlier if the stream
    // is close to done, so the kill always lands mid-stream.
    let killed = false;
    let acked = 0;
    const started = Date.now();
    const kill = () => {
      if (killed) return;
      killed = true;
      first.process.kill('SIGKILL');
    };
    const timer = setTimeout(kill, 1_000);
    const stream = await streamEvents({
      ids,
      concurrency: IN_FLIGHT,
      send,
      stopped: () => killed,
      onSettled: (_id, outcome) => {
        if (outcome.code === 0 && ++acked >= EVENTS * 0.6) kill();
      },
    });
    clearTimeout(timer);
    const killedAfterMs = Date.now() - started;
    expect(killed).toBe(true);
    await first.process.exited;
    expect(first.process.signalCode).toBe('SIGKILL');

    const acknowledged = [...stream.ok];
    const failedCodes = countCodes([...stream.outcomes.values()].filter((o) => o.code !== 0));
    console.log(
      `crash: killed after ${killedAfterMs} ms; ${acknowledged.length} acknowledged, ` +
        `${stream.outcomes.size - acknowledged.length} failed (${JSON.stringify([...failedCodes])}), ` +
        `${stream.unsent.length} never sent`,
    );
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.length).toBeLessThan(EVENTS);

    // Every acknowledged event was committed, and each committed id counted exactly once.
    const storedBeforeRestart = await processedIds(db.pool, ids);
    const missing = acknowledged.filter((id) => !storedBeforeRestart.has(id));
    expect(missing).toEqual([]);
    expect(await totalProgress(db.pool, COUNTING_GOAL.goalId, USERS)).toBe(storedBeforeRestart.size);

    // A new process on the same database and gRPC port (the platform's target does not change).
    const second = await startService(grpcPort);
    const progressAfterRestart = await totalProgress(db.pool, COUNTING_GOAL.goalId, USERS);
    expect(progressAfterRestart).toBeGreaterThanOrEqual(acknowledged.length);

    // The platform redelivers everything (acknowledged or not, here: every event once more).
    const redelivery = await streamEvents({ ids, concurrency: IN_FLIGHT, send });
    expect(countCodes(redelivery.outcomes.values())).toEqual(new Map([[0, EVENTS]]));
    expect(await totalProgress(db.pool, COUNTING_GOAL.goalId, USERS)).toBe(EVENTS);
    expect((await processedIds(db.pool, ids)).size).toBe(EVENTS);

    // Per user as well: each user's progress is exactly that user's distinct events.
    const perUser = await db.pool<{ user_id: string; progress: number }[]>`
      select user_id, progress from user_goal_progress
      where goal_id = ${COUNTING_GOAL.goalId} and user_id = any(${USERS}::text[]) order by user_id`;
    expect(perUser).toHaveLength(USERS.length);
    for (const row of perUser)
      expect(row.progress).toBe(ids.filter((id) => userOf(id) === row.user_id).length);

    expect(await second.terminate('SIGTERM')).toBe(0);
  } finally {
    client.close();
  }
}, 60_000);
