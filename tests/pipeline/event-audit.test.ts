/**
 * The audit trail the event flush writes: one entry per event received, naming what it did to
 * each goal it matched or why it changed nothing, written in the flush's own transaction.
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { loadChallengeConfig } from '../../src/config/challenge-config.ts';
import { getUserProgress, insertAssignments, setGoalActive } from '../../src/db/progress-rows.ts';
import { createCatalog } from '../../src/domain/catalog.ts';
import { applyEventBatch } from '../../src/pipeline/apply-events.ts';
import type { PipelineEvent } from '../../src/pipeline/pipeline-event.ts';
import { createAuditTrail } from '../../src/services/audit-trail.ts';
import { createPlayerErasure } from '../../src/services/erasure.ts';
import { statEvent } from '../helpers/pipeline-events.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb({ maxConnections: 10 });
afterAll(() => db.drop());
const catalog = createCatalog(loadChallengeConfig('config/challenges.test.json'));
const rotating = createCatalog(loadChallengeConfig('config/challenges.rotation.json'));
const trail = createAuditTrail({ db: db.pool, catalog: () => catalog });
const NOW = new Date('2026-05-01T12:00:00Z');
let seq = 0;
let user = '';

const stat = (statCode: string, value: number, id = '', at = NOW) =>
  statEvent(user, statCode, value, { id, at });
const login = (id = '', at = NOW): PipelineEvent => ({
  seq: ++seq,
  kind: 'login',
  id,
  userId: user,
  receivedAt: at.getTime(),
  occurredAt: at.getTime(),
});
const apply = (events: PipelineEvent[], options: { audit?: boolean } = {}) =>
  applyEventBatch(db.pool, catalog, events, NOW, options);
const activate = (goalId: string, challengeId: string, isActive = true) =>
  setGoalActive(db.pool, { userId: user, namespace: 'ns', goalId, challengeId, isActive, now: NOW });
/** The newest entry's effect on one goal. */
const latestEffect = async (goalId: string) => {
  const [entry] = await trail.playerEntries(user, { goalId, limit: 1 });
  return entry?.goals.find((effect) => effect.goalId === goalId);
};
const newest = async () => (await trail.playerEntries(user, { limit: 1 }))[0];

beforeEach(async () => {
  user = `user-${crypto.randomUUID()}`;
  await insertAssignments(db.pool, user, 'ns', catalog.defaultGoals, NOW);
});

describe('event audit', () => {
  test('an applied event names each goal it moved, from what to what', async () => {
    await apply([stat('enemy_kills', 4, 'kill-1')]);
    expect(await newest()).toEqual({
      kind: 'statistic',
      recordedAt: '2026-05-01T12:00:00Z',
      eventId: 'kill-1',
      statCode: 'enemy_kills',
      value: 4,
      occurredAt: '2026-05-01T12:00:00Z',
      goals: [
        {
          goalId: 'defeat-10-enemies',
          result: 'changed',
          from: { progress: 0, status: 'not_started' },
          to: { progress: 4, status: 'in_progress' },
        },
      ],
    });
  });

  test('a redelivered event is recorded as a duplicate, and applied once', async () => {
    await apply([stat('enemy_kills', 4, 'redelivered-1')]);
    const result = await apply([stat('enemy_kills', 9, 'redelivered-1')]);
    expect(result.duplicatesByKind.statistic).toBe(1);
    expect(await newest()).toMatchObject({
      eventId: 'redelivered-1',
      reason: 'duplicate_event_id',
      goals: [],
    });
    const row = (await getUserProgress(db.pool, user)).find((r) => r.goalId === 'defeat-10-enemies');
    expect(row?.progress).toBe(4);
    expect(await trail.playerEntries(user, {})).toHaveLength(2);
  });

  test('the same id twice in one batch: the second is the duplicate', async () => {
    await apply([stat('enemy_kills', 4, 'twice'), stat('enemy_kills', 7, 'twice')]);
    const entries = await trail.playerEntries(user, {});
    expect(entries.map((entry) => entry.reason ?? 'applied').sort()).toEqual([
      'applied',
      'duplicate_event_id',
    ]);
  });

  test('events with no goal, or of another namespace, are recorded and not applied', async () => {
    const result = await apply([
      stat('no_such_stat', 3, 'nothing-1'),
      { ...stat('enemy_kills', 50, 'foreign-1'), foreignNamespace: 'other-game' },
    ]);
    expect(result.skippedByKind.statistic).toBe(2);
    const entries = await trail.playerEntries(user, {});
    expect(entries.find((entry) => entry.eventId === 'nothing-1')).toMatchObject({
      reason: 'no_goal_for_stat_code',
      goals: [],
    });
    expect(entries.find((entry) => entry.eventId === 'foreign-1')).toMatchObject({
      reason: 'other_namespace',
      namespace: 'other-game',
      goals: [],
    });
    const row = (await getUserProgress(db.pool, user)).find((r) => r.goalId === 'defeat-10-enemies');
    expect(row?.progress).toBe(0);
    // Not applied, so their ids are not taken: the same event in this namespace still applies.
    await apply([stat('enemy_kills', 50, 'foreign-1')]);
    expect(await latestEffect('defeat-10-enemies')).toMatchObject({ result: 'changed' });
  });

  test('a goal the player was never assigned, and a deactivated one', async () => {
    await apply([stat('matches_played', 1)]);
    expect(await latestEffect('play-5-matches')).toEqual({
      goalId: 'play-5-matches',
      result: 'unchanged',
      reason: 'goal_not_assigned',
    });
    await activate('play-5-matches', 'starter-challenge');
    await activate('play-5-matches', 'starter-challenge', false);
    await apply([stat('matches_played', 1)]);
    expect(await latestEffect('play-5-matches')).toMatchObject({ reason: 'goal_inactive' });
  });

  test('already completed, and already claimed', async () => {
    await activate('play-5-matches', 'starter-challenge');
    for (let i = 0; i < 5; i++) await apply([stat('matches_played', 1)]);
    await apply([stat('matches_played', 1)]);
    expect(await latestEffect('play-5-matches')).toMatchObject({ reason: 'already_completed' });
    await db.pool`
      update user_goal_progress set status = 'claimed', claimed_at = now()
      where user_id = ${user} and goal_id = 'play-5-matches'`;
    await apply([stat('matches_played', 1)]);
    expect(await latestEffect('play-5-matches')).toMatchObject({ reason: 'already_claimed' });
  });

  test('negative values, unchanged values and older events', async () => {
    await apply([stat('enemy_kills', -1)]);
    expect(await latestEffect('defeat-10-enemies')).toMatchObject({ reason: 'negative_value_ignored' });
    const later = new Date(NOW.getTime() + 60_000);
    await apply([stat('enemy_kills', 5, '', later)]);
    await apply([stat('enemy_kills', 5, '', later)]);
    expect(await latestEffect('defeat-10-enemies')).toMatchObject({ reason: 'value_unchanged' });
    await apply([stat('enemy_kills', 8, '', NOW)]);
    expect(await latestEffect('defeat-10-enemies')).toMatchObject({ reason: 'older_event' });
  });

  test('a per-day goal already counted today', async () => {
    await activate('login-3-days', 'daily-quests');
    await apply([login()]);
    expect(await latestEffect('login-3-days')).toMatchObject({
      result: 'changed',
      to: { progress: 1, status: 'in_progress' },
    });
    await apply([login()]);
    expect(await latestEffect('login-3-days')).toMatchObject({ reason: 'already_counted_today' });
  });

  test('an event of an earlier rotation period', async () => {
    const day2 = new Date('2026-05-02T10:00:00Z');
    const goal = rotating.goalById.get('daily-kills');
    if (!goal) throw new Error('daily-kills missing from the rotation config');
    await insertAssignments(db.pool, user, 'ns', [goal], day2);
    const at = (instant: Date, value: number): PipelineEvent => ({
      ...stat('enemy_kills', value),
      occurredAt: instant.getTime(),
    });
    await applyEventBatch(db.pool, rotating, [at(day2, 5)], day2);
    await applyEventBatch(db.pool, rotating, [at(NOW, 9)], day2);
    const entries = await createAuditTrail({ db: db.pool, catalog: () => rotating }).playerEntries(user, {
      goalId: 'daily-kills',
      limit: 1,
    });
    expect(entries[0]?.goals).toEqual([
      { goalId: 'daily-kills', result: 'unchanged', reason: 'rotated_period' },
    ]);
  });

  test('events without an id are audited too, with no id', async () => {
    await apply([login()]);
    const entry = await newest();
    expect(entry).toMatchObject({ kind: 'login', eventId: null });
    expect(entry?.goals).toEqual([
      {
        goalId: 'login-3-times',
        result: 'changed',
        from: { progress: 0, status: 'not_started' },
        to: { progress: 1, status: 'in_progress' },
      },
      { goalId: 'login-3-days', result: 'unchanged', reason: 'goal_not_assigned' },
      { goalId: 'daily-login', result: 'unchanged', reason: 'goal_not_assigned' },
    ]);
  });

  test('recorded with its configuration, an entry leaves the unassigned goals implied and shows them', async () => {
    await applyEventBatch(db.pool, catalog, [login('with-config-1')], NOW, { configId: 7 });
    const [stored] = await db.pool<{ audit: { cfg: number; g: unknown[] } }[]>`
      select audit from processed_events where event_id = 'with-config-1'`;
    expect(stored?.audit.cfg).toBe(7);
    // By its position in the configuration, with short status codes: [goal, from, to, from, to].
    expect(catalog.goals[1]?.goalId).toBe('login-3-times');
    expect(stored?.audit.g).toEqual([[1, 0, 1, 'n', 'i']]);
    const asked: number[] = [];
    const withConfigs = createAuditTrail({
      db: db.pool,
      catalog: () => catalog,
      catalogOf: async (configId) => {
        asked.push(configId);
        return catalog;
      },
    });
    const [entry] = await withConfigs.playerEntries(user, { limit: 1 });
    expect(entry?.goals).toEqual([
      {
        goalId: 'login-3-times',
        result: 'changed',
        from: { progress: 0, status: 'not_started' },
        to: { progress: 1, status: 'in_progress' },
      },
      { goalId: 'login-3-days', result: 'unchanged', reason: 'goal_not_assigned' },
      { goalId: 'daily-login', result: 'unchanged', reason: 'goal_not_assigned' },
    ]);
    expect(new Set(asked)).toEqual(new Set([7]));
    // Filtered by an implied goal, the entry is found too.
    const [implied] = await withConfigs.playerEntries(user, { goalId: 'daily-login', limit: 5 });
    expect(implied?.goals).toEqual([
      { goalId: 'daily-login', result: 'unchanged', reason: 'goal_not_assigned' },
    ]);
  });

  test('the goal filter and the limit', async () => {
    await apply([stat('enemy_kills', 1)]);
    await apply([login()]);
    await apply([stat('enemy_kills', 2)]);
    const kills = await trail.playerEntries(user, { goalId: 'defeat-10-enemies' });
    expect(kills.map((entry) => entry.value)).toEqual([2, 1]);
    expect(await trail.playerEntries(user, { limit: 2 })).toHaveLength(2);
    await expect(trail.playerEntries(user, { limit: 0 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  test('with the audit off, events apply and dedup as before, and nothing is recorded', async () => {
    await apply([stat('enemy_kills', 3, 'quiet-1')], { audit: false });
    const again = await apply([stat('enemy_kills', 6, 'quiet-1')], { audit: false });
    expect(again.duplicatesByKind.statistic).toBe(1);
    const row = (await getUserProgress(db.pool, user)).find((r) => r.goalId === 'defeat-10-enemies');
    expect(row?.progress).toBe(3);
    expect(await trail.playerEntries(user, {})).toEqual([]);
  });

  test('two flushes racing with the same event id: applied once, the other is the duplicate', async () => {
    for (let round = 0; round < 10; round++) {
      const id = `race-${round}`;
      const results = await Promise.all([
        apply([stat('enemy_kills', round + 1, id)]),
        apply([stat('enemy_kills', round + 1, id)]),
      ]);
      expect(results.map((r) => r.appliedByKind.statistic).sort()).toEqual([0, 1]);
    }
    const entries = await trail.playerEntries(user, {});
    expect(entries.filter((entry) => entry.reason === 'duplicate_event_id')).toHaveLength(10);
    expect(entries.filter((entry) => entry.reason === undefined)).toHaveLength(10);
  });

  test("erasing the player removes the player's audit", async () => {
    await apply([stat('enemy_kills', 4, 'erase-1'), login()]);
    await createPlayerErasure({ db: db.pool, namespace: 'ns' }).erasePlayer(user);
    expect(await trail.playerEntries(user, {})).toEqual([]);
  });
});
