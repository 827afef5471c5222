/**
 * The audit trail through the running service: real gRPC events, including the ones the ingress
 * used to acknowledge without a database (another namespace, a stat no goal counts), and what a
 * redelivered event of an erased player does.
 */
import { expect, test } from 'bun:test';
import { loadChallengeConfig } from '../../src/config/challenge-config.ts';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { createCatalog } from '../../src/domain/catalog.ts';
import { createEventClient } from '../../src/events/event-client.ts';
import { storedCatalog } from '../../src/live-config/config-catalogs.ts';
import { createAuditTrail } from '../../src/services/audit-trail.ts';
import {
  COUNTING_GOAL,
  initializeUsers,
  totalProgress,
  useEventServices,
  writeChallengeConfig,
} from '../helpers/event-load.ts';

const NAMESPACE = 'audit-e2e';
const services = await useEventServices(NAMESPACE);
const config = writeChallengeConfig('audit', [
  COUNTING_GOAL,
  { goalId: 'kill-3', type: 'absolute', eventSource: 'statistic', statCode: 'kills', targetValue: 3 },
]);
const catalog = createCatalog(loadChallengeConfig(config));
/** The player's audit trail as the admin API reads it. */
const trail = (userId: string, limit: number) =>
  createAuditTrail({
    db: services.db.pool,
    catalog: () => catalog,
    catalogOf: (id) => storedCatalog(services.db.pool, id),
  }).playerEntries(userId, { limit });

test('every event is audited, also those of another namespace or of a stat no goal counts', async () => {
  const grpcPort = await freePort();
  const service = await services.start({ configPath: config, grpcPort });
  const client = createEventClient(`127.0.0.1:${grpcPort}`);
  try {
    await initializeUsers(service.baseUrl, ['ann']);
    await client.sendStat({ id: 'k-1', userId: 'ann', namespace: NAMESPACE, statCode: 'kills', value: 2 });
    await client.sendStat({ id: 'k-2', userId: 'ann', namespace: NAMESPACE, statCode: 'deaths', value: 9 });
    await client.sendStat({ id: 'k-3', userId: 'ann', namespace: 'other-game', statCode: 'kills', value: 7 });
    await client.sendStat({ id: 'k-1', userId: 'ann', namespace: NAMESPACE, statCode: 'kills', value: 2 });
    const entries = await trail('ann', 10);
    expect(
      entries.map((entry) => [
        entry.kind === 'admin' ? '' : entry.eventId,
        entry.kind === 'admin' ? '' : entry.reason,
      ]),
    ).toEqual([
      ['k-1', 'duplicate_event_id'],
      ['k-3', 'other_namespace'],
      ['k-2', 'no_goal_for_stat_code'],
      ['k-1', undefined],
    ]);
    expect(entries[3]?.goals).toEqual([
      {
        goalId: 'kill-3',
        result: 'changed',
        from: { progress: 0, status: 'not_started' },
        to: { progress: 2, status: 'in_progress' },
      },
    ]);
    expect(await totalProgress(services.db.pool, 'kill-3', ['ann'])).toBe(2);
    const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/challenge_events_total\{type="statistic",outcome="skipped"\} 2/);
  } finally {
    client.close();
  }
});

test('a redelivered event of an erased player is acknowledged and changes nothing', async () => {
  const grpcPort = await freePort();
  const service = await services.start({ configPath: config, grpcPort });
  const client = createEventClient(`127.0.0.1:${grpcPort}`);
  const user = 'erased-bob';
  const logins = (round: string) =>
    Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        client.sendLogin({ id: `${user}-login-${i}`, userId: user, namespace: NAMESPACE }),
      ),
    ).then(() => round);
  try {
    await initializeUsers(service.baseUrl, [user]);
    await logins('first delivery');
    expect(await totalProgress(services.db.pool, COUNTING_GOAL.goalId, [user])).toBe(5);
    const erased = await fetch(`${service.baseUrl}/v1/users/me/data`, {
      method: 'DELETE',
      headers: { 'x-mock-user-id': user },
    });
    expect(await erased.json()).toEqual({ userId: user, rowsDeleted: '2' });
    expect(await trail(user, 100)).toEqual([]);

    // The platform redelivers: every call is acknowledged; the player has no rows, so nothing moves.
    await logins('redelivery after the erasure');
    const rows = await services.db.pool`select 1 from user_goal_progress where user_id = ${user}`;
    expect(rows).toHaveLength(0);
    const after = await trail(user, 100);
    expect(after).toHaveLength(5);
    for (const entry of after) {
      expect(entry.goals).toEqual([
        { goalId: COUNTING_GOAL.goalId, result: 'unchanged', reason: 'goal_not_assigned' },
      ]);
    }
    // Their ids are recorded again, so a further redelivery is a duplicate.
    await logins('second redelivery');
    const latest = await trail(user, 5);
    expect(latest.map((entry) => (entry.kind === 'admin' ? '' : entry.reason))).toEqual(
      Array(5).fill('duplicate_event_id'),
    );
  } finally {
    client.close();
  }
});
