/**
 * Claims and events on the same user at the same time: a goal completed by events is claimed
 * (by several racing requests) while more events stream in for that goal's row and the user's other
 * rows. Nothing deadlocks or fails, exactly one claim wins, and later events never change the claimed row.
 */
import { afterAll, expect, test } from 'bun:test';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { createEventClient } from '../../src/events/event-client.ts';
import {
  countCodes,
  initializeUsers,
  streamEvents,
  useEventServices,
  writeChallengeConfig,
} from '../helpers/event-load.ts';

const NAMESPACE = 'e2e-claims-events';
const CHALLENGE = 'mixed-challenge';
const USERS = Array.from({ length: 6 }, (_, i) => `mixed-user-${i}`);
const EVENTS_PER_USER = 300;
const CLAIMS_PER_USER = 8;

const { db, start } = await useEventServices(NAMESPACE);
const grpcPort = await freePort();
const service = await start({
  configPath: writeChallengeConfig(CHALLENGE, [
    // Completed by the first `kills` event, then claimed.
    { goalId: 'kills-10', type: 'absolute', eventSource: 'statistic', statCode: 'kills', targetValue: 10 },
    // Other rows of the same user that the same and other events keep changing.
    {
      goalId: 'kills-count',
      type: 'increment',
      eventSource: 'statistic',
      statCode: 'kills',
      targetValue: 1_000_000,
    },
    {
      goalId: 'matches-count',
      type: 'increment',
      eventSource: 'statistic',
      statCode: 'matches',
      targetValue: 1_000_000,
    },
    { goalId: 'logins-count', type: 'increment', eventSource: 'login', targetValue: 1_000_000 },
  ]),
  grpcPort,
  // The grant takes a moment, so claims overlap event flushes on the same rows.
  env: { MOCK_REWARD_LATENCY_MS: '30' },
});
const client = createEventClient(`127.0.0.1:${grpcPort}`, { deadlineMs: 20_000 });
afterAll(() => client.close());

type Kind = 'kills' | 'matches' | 'login';
const kindOf = (i: number): Kind => (['kills', 'matches', 'login'] as const)[i % 3] ?? 'login';

const sendEvent = (user: string, i: number) => {
  const id = `${user}-e${i}`;
  const kind = kindOf(i);
  return kind === 'login'
    ? client.sendLogin({ id, userId: user, namespace: NAMESPACE })
    : client.sendStat({ id, userId: user, namespace: NAMESPACE, statCode: kind, value: 10 + i });
};

const claim = (user: string) =>
  fetch(`${service.baseUrl}/v1/challenges/${CHALLENGE}/goals/kills-10/claim`, {
    method: 'POST',
    headers: { 'x-mock-user-id': user },
    signal: AbortSignal.timeout(20_000),
  });

interface Row {
  user_id: string;
  goal_id: string;
  progress: number;
  status: string;
  claimed_at: Date | null;
}

test('concurrent claims and events on one user: no deadlock, one winner, the claimed row stays claimed', async () => {
  await initializeUsers(service.baseUrl, USERS);
  // Complete kills-10 by an event (value 10), for every user.
  await Promise.all(
    USERS.map((user) =>
      client.sendStat({
        id: `${user}-first`,
        userId: user,
        namespace: NAMESPACE,
        statCode: 'kills',
        value: 10,
      }),
    ),
  );

  const claimResponses: { user: string; status: number; body: unknown }[] = [];
  const [streams] = await Promise.all([
    Promise.all(
      USERS.map((user) =>
        streamEvents({
          ids: Array.from({ length: EVENTS_PER_USER }, (_, i) => String(i)),
          concurrency: 10,
          send: (i) => sendEvent(user, Number(i)),
        }),
      ),
    ),
    Promise.all(
      USERS.flatMap((user) =>
        Array.from({ length: CLAIMS_PER_USER }, async (_, i) => {
          await Bun.sleep(i * 15); // spread over the stream
          const response = await claim(user);
          claimResponses.push({ user, status: response.status, body: await response.json() });
        }),
      ),
    ),
  ]);

  // Every event call was acknowledged; every claim answered 200 or 409, one 200 per user.
  for (const stream of streams)
    expect(countCodes(stream.outcomes.values())).toEqual(new Map([[0, EVENTS_PER_USER]]));
  expect(claimResponses).toHaveLength(USERS.length * CLAIMS_PER_USER);
  expect(claimResponses.filter((r) => r.status !== 200 && r.status !== 409)).toEqual([]);
  const claimedAt = new Map<string, number>();
  for (const user of USERS) {
    const winners = claimResponses.filter((r) => r.user === user && r.status === 200);
    expect(winners).toHaveLength(1);
    const body = winners[0]?.body as { status: string; claimedAt: string };
    expect(body.status).toBe('claimed');
    claimedAt.set(user, new Date(body.claimedAt).getTime());
  }

  // More events for the claimed goal after the claim: the claimed row does not move. (Until the
  // claim it followed the streamed kills values, as absolute goals do.)
  const progressAtClaim = new Map(
    (
      await db.pool<{ user_id: string; progress: number }[]>`
        select user_id, progress from user_goal_progress
        where user_id = any(${USERS}::text[]) and goal_id = 'kills-10'`
    ).map((row) => [row.user_id, row.progress]),
  );
  await Promise.all(
    USERS.map((user) =>
      client.sendStat({
        id: `${user}-late`,
        userId: user,
        namespace: NAMESPACE,
        statCode: 'kills',
        value: 5,
      }),
    ),
  );

  const rows = await db.pool<Row[]>`
    select user_id, goal_id, progress, status, claimed_at from user_goal_progress
    where user_id = any(${USERS}::text[]) order by user_id, goal_id`;
  const count = (kind: Kind) =>
    Array.from({ length: EVENTS_PER_USER }, (_, i) => kindOf(i)).filter((k) => k === kind).length;
  for (const user of USERS) {
    const goal = (goalId: string) => rows.find((row) => row.user_id === user && row.goal_id === goalId);
    expect(goal('kills-10')).toMatchObject({ progress: progressAtClaim.get(user) ?? -1, status: 'claimed' });
    expect(goal('kills-10')?.progress).toBeGreaterThanOrEqual(10);
    // The API reports claimedAt to the second.
    const stored = goal('kills-10')?.claimed_at?.getTime() ?? 0;
    expect(Math.floor(stored / 1000) * 1000).toBe(claimedAt.get(user) ?? -1);
    // The first, the streamed and the late kills events all counted on the other row.
    expect(goal('kills-count')?.progress).toBe(count('kills') + 2);
    expect(goal('matches-count')?.progress).toBe(count('matches'));
    expect(goal('logins-count')?.progress).toBe(count('login'));
  }

  // A second claim is refused; the ledger holds exactly one claim per user.
  for (const user of USERS) expect((await claim(user)).status).toBe(409);
  const ledger = await db.pool<{ n: number }[]>`
    select count(*)::int as n from reward_claims where user_id = any(${USERS}::text[])`;
  expect(ledger[0]?.n).toBe(USERS.length);

  // No deadlock and no server error anywhere in the service's log.
  expect(service.output()).not.toContain('40P01');
  expect(service.output()).not.toMatch(/deadlock/i);
  expect(service.output()).not.toMatch(/"level":"(error|fatal)"/);
}, 60_000);
