/**
 * The service behind PgBouncer in transaction mode with DB_TRANSACTION_POOLER=true: migrations,
 * the API (initialize, list, claim) and the event flush all work when consecutive transactions land
 * on different server connections.
 */
import { expect, test } from 'bun:test';
import { createEventClient } from '../../src/events/event-client.ts';
import { useBouncedService } from '../helpers/bounced-service.ts';
import { countCodes, streamEvents, totalProgress, writeChallengeConfig } from '../helpers/event-load.ts';

const NAMESPACE = 'pgbouncer';
const USERS = Array.from({ length: 4 }, (_, i) => `bouncer-user-${i}`);
const bounced = await useBouncedService({ emptyDatabase: true });
const { db } = bounced;

test('behind PgBouncer in transaction mode: migrations, API, events and claims', async () => {
  const { service, grpcPort } = await bounced.start({
    CHALLENGE_CONFIG_PATH: writeChallengeConfig('bouncer-challenge', [
      { goalId: 'count-logins', type: 'increment', eventSource: 'login', targetValue: 1_000_000 },
      { goalId: 'log-in-once', type: 'absolute', eventSource: 'login', targetValue: 1 },
    ]),
    AB_NAMESPACE: NAMESPACE,
    EVENT_SHARDS: '2',
  });
  const base = service.baseUrl;
  for (const user of USERS) {
    const response = await fetch(`${base}/v1/challenges/initialize`, {
      method: 'POST',
      headers: { 'x-mock-user-id': user },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { newAssignments: number }).newAssignments).toBe(2);
  }
  const client = createEventClient(`127.0.0.1:${grpcPort}`);
  try {
    const ids = Array.from({ length: 400 }, (_, i) => `bouncer-${i}`);
    const userOf = (id: string) => USERS[Number(id.split('-')[1]) % USERS.length] ?? '';
    const send = (id: string) => client.sendLogin({ id, userId: userOf(id), namespace: NAMESPACE });
    const first = await streamEvents({ ids, concurrency: 20, send });
    expect(countCodes(first.outcomes.values())).toEqual(new Map([[0, ids.length]]));
    const again = await streamEvents({ ids, concurrency: 20, send });
    expect(countCodes(again.outcomes.values())).toEqual(new Map([[0, ids.length]]));
    expect(await totalProgress(db.pool, 'count-logins', USERS)).toBe(ids.length);
  } finally {
    client.close();
  }
  const claims = await Promise.all(
    Array.from({ length: 10 }, () =>
      fetch(`${base}/v1/challenges/bouncer-challenge/goals/log-in-once/claim`, {
        method: 'POST',
        headers: { 'x-mock-user-id': USERS[0] ?? '' },
      }).then((response) => response.status),
    ),
  );
  expect(claims.filter((status) => status === 200)).toHaveLength(1);
  expect(claims.filter((status) => status !== 200 && status !== 409)).toEqual([]);
  const list = await fetch(`${base}/v1/challenges`, { headers: { 'x-mock-user-id': USERS[0] ?? '' } });
  const goals = ((await list.json()) as { challenges: { goals: { goalId: string; status: string }[] }[] })
    .challenges[0]?.goals;
  expect(goals?.find((goal) => goal.goalId === 'log-in-once')?.status).toBe('claimed');
}, 60_000);
