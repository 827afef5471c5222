/**
 * GET /v1/challenges/stream over real HTTP: a snapshot, then one event per change of the player's
 * goals, whoever commits it (the API, the event flush, SQL by hand followed by the notice the
 * service's writers send); outbox events resume after a
 * Last-Event-ID with nothing missing or repeated; heartbeats; a client that leaves frees its stream.
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { createChangeNotices } from '../../src/db/change-notices.ts';
import { OUTBOX_START, readPlayerMessages } from '../../src/db/outbox.ts';
import { progressNoticePayloads } from '../../src/domain/progress-notice.ts';
import { createLogger } from '../../src/log.ts';
import type { PipelineEvent } from '../../src/pipeline/pipeline-event.ts';
import { formatEventId } from '../../src/stream/event-id.ts';
import { statEvent } from '../helpers/pipeline-events.ts';
import { openSse, type SseEvent } from '../helpers/sse.ts';
import { createTestApp } from '../helpers/test-app.ts';

const app = await createTestApp({ streamHeartbeatMs: 150 });
const server = app.listen();
afterAll(async () => {
  await server.stop();
  await app.close();
});

let user = '';
beforeEach(() => {
  user = `stream-${crypto.randomUUID()}`;
});

const open = (query = '', headers: Record<string, string> = {}) =>
  openSse(`${server.baseUrl}/v1/challenges/stream${query}`, { 'x-mock-user-id': user, ...headers });

const stat = (statCode: string, value: number, at = new Date()) => statEvent(user, statCode, value, { at });
const flush = (events: PipelineEvent[]) => app.applyEvents(events, new Date());
const initialize = async () =>
  expect((await app.request('POST', '/v1/challenges/initialize', { user })).status).toBe(200);
async function openStreamsBecome(count: number): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (app.streams.openStreams() !== count && Date.now() < deadline) await Bun.sleep(20);
  expect(app.streams.openStreams()).toBe(count);
}
/** An operator's change made with SQL, outside the service: the tutorial completed. */
const completeTutorialBySql = () =>
  app.db.pool`update user_goal_progress set status = 'completed', progress = 1, completed_at = now(),
    updated_at = now() where user_id = ${user} and goal_id = 'tutorial'`;
const goalOf = (event: SseEvent) => event.json['goal'] as Record<string, unknown>;
const isGoalEvent = (event: SseEvent) => event.event.startsWith('goal.');

describe('opening a stream', () => {
  test('starts with a snapshot that is the list, at the head of the outbox', async () => {
    await initialize();
    const stream = await open();
    try {
      expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(stream.response.headers.get('cache-control')).toContain('no-cache');
      const [snapshot] = await stream.waitFor((e) => e.event === 'snapshot');
      const list = await (await app.request('GET', '/v1/challenges', { user })).text();
      expect(snapshot?.data).toBe(list);
      const messages = await readPlayerMessages(app.db.pool, user, OUTBOX_START, 100);
      expect(snapshot?.id).toBe(formatEventId(messages.at(-1)?.cursor ?? OUTBOX_START));
      expect(stream.retryMs()).toBeGreaterThan(0);
    } finally {
      stream.close();
    }
  });

  test('active_only=true keeps the snapshot to active goals', async () => {
    await initialize();
    const stream = await open('?active_only=true');
    try {
      const [snapshot] = await stream.waitFor((e) => e.event === 'snapshot');
      const list = await (await app.request('GET', '/v1/challenges?active_only=true', { user })).text();
      expect(snapshot?.data).toBe(list);
    } finally {
      stream.close();
    }
  });

  test('a malformed Last-Event-ID or active_only is 400 before the stream starts', async () => {
    for (const [query, headers] of [
      ['', { 'last-event-id': 'not-an-id' }],
      ['?last_event_id=12', {}],
      ['?active_only=maybe', {}],
    ] as const) {
      const response = await fetch(`${server.baseUrl}/v1/challenges/stream${query}`, {
        headers: { 'x-mock-user-id': user, ...headers },
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(((await response.json()) as { error: string }).error).toBe('INVALID_REQUEST');
    }
  });
});

describe('changes', () => {
  test('the outbox changes of the API arrive with their ids, one event per message, in order', async () => {
    const stream = await open();
    try {
      await stream.waitFor((e) => e.event === 'snapshot');
      await initialize();
      const assigned = await stream.waitFor((e) => e.event === 'goal.assigned', { count: 3 });
      const messages = await readPlayerMessages(app.db.pool, user, OUTBOX_START, 100);
      expect(assigned.map((e) => e.id)).toEqual(messages.map((m) => formatEventId(m.cursor)));
      expect(assigned.map((e) => e.json['goalId'])).toEqual(messages.map((m) => m.goalId));
      const first = assigned[0];
      expect(first?.json).toMatchObject({
        type: 'goal.assigned',
        challengeId: messages[0]?.challengeId,
        occurredAt: messages[0]?.occurredAt.toISOString(),
      });
      // The goal object is the list's.
      const list = (
        await app.json<{ challenges: { goals: Record<string, unknown>[] }[] }>('GET', '/v1/challenges', {
          user,
        })
      ).body;
      const listed = list.challenges
        .flatMap((c) => c.goals)
        .find((g) => g['goalId'] === first?.json['goalId']);
      expect(first && goalOf(first)).toEqual(listed);
    } finally {
      stream.close();
    }
  });

  test('progress that only moves arrives as goal.progress without an id; a completion only as goal.completed', async () => {
    await initialize();
    const stream = await open();
    try {
      await stream.waitFor((e) => e.event === 'snapshot');
      await flush([stat('enemy_kills', 4)]);
      const [moved] = await stream.waitFor((e) => e.event === 'goal.progress');
      expect(moved?.id).toBeUndefined();
      expect(moved?.json).toMatchObject({
        type: 'goal.progress',
        challengeId: 'starter-challenge',
        goalId: 'defeat-10-enemies',
      });
      expect(moved && goalOf(moved)).toMatchObject({ progress: 4, status: 'in_progress' });
      const from = stream.events.length;
      await flush([stat('enemy_kills', 12)]);
      const [completed] = await stream.waitFor((e) => e.event === 'goal.completed', { from });
      expect(completed && goalOf(completed)).toMatchObject({ progress: 12, status: 'completed' });
      // Later progress of the completed goal is progress again.
      await flush([stat('enemy_kills', 15)]);
      const [after] = await stream.waitFor((e) => e.event === 'goal.progress', { from });
      expect(after && goalOf(after)).toMatchObject({ progress: 15, status: 'completed' });
      expect(
        stream.events
          .slice(from)
          .filter(isGoalEvent)
          .map((e) => e.event),
      ).toEqual(['goal.completed', 'goal.progress']);
    } finally {
      stream.close();
    }
  });

  test('a goal shows locked while its prerequisite is not done', async () => {
    await initialize();
    const active = await app.request('PUT', '/v1/challenges/progression/goals/reach-level-5/active', {
      user,
      body: { isActive: true },
    });
    expect(active.status).toBe(200);
    const stream = await open();
    try {
      await stream.waitFor((e) => e.event === 'snapshot');
      await flush([stat('player_level', 3)]);
      const [moved] = await stream.waitFor(
        (e) => e.event === 'goal.progress' && e.json['goalId'] === 'reach-level-5',
      );
      expect(moved && goalOf(moved)).toMatchObject({ progress: 3, locked: true });
    } finally {
      stream.close();
    }
  });

  test('a goal is not sent again when it looks as last sent (a second notice for the same goal)', async () => {
    await initialize();
    const stream = await open();
    try {
      await stream.waitFor((e) => e.event === 'snapshot');
      const at = new Date();
      await app.applyEvents([stat('enemy_kills', 4)], at);
      await stream.waitFor((e) => e.event === 'goal.progress');
      // Another writer that stamped the same instant would send this notice too.
      await app.db
        .pool`select pg_notify('challenge_progress', ${progressNoticePayloads(at, [{ userId: user, goalIds: ['defeat-10-enemies'] }])[0] ?? ''})`;
      // Time for it to be read before the next change.
      await Bun.sleep(200);
      await flush([stat('enemy_kills', 5)]);
      const moves = await stream.waitFor((e) => e.event === 'goal.progress', { count: 2 });
      expect(moves.map((e) => goalOf(e)['progress'])).toEqual([4, 5]);
    } finally {
      stream.close();
    }
  });

  test("an admin's progress change arrives once: as goal.progress, or as goal.completed when it completes", async () => {
    await initialize();
    const stream = await open();
    try {
      await stream.waitFor((e) => e.event === 'snapshot');
      const path = `/v1/admin/users/${user}/goals/defeat-10-enemies/progress`;
      expect((await app.request('PUT', path, { admin: 'ops', body: { progress: 6 } })).status).toBe(200);
      const [moved] = await stream.waitFor((e) => e.event === 'goal.progress');
      expect(moved && goalOf(moved)).toMatchObject({ progress: 6, status: 'in_progress' });
      expect((await app.request('PUT', path, { admin: 'ops', body: { progress: 10 } })).status).toBe(200);
      await stream.waitFor((e) => e.event === 'goal.completed');
      await Bun.sleep(100);
      expect(stream.events.filter(isGoalEvent).map((e) => e.event)).toEqual([
        'goal.progress',
        'goal.completed',
      ]);
    } finally {
      stream.close();
    }
  });

  // A change written by SQL outside the service notifies nobody by itself; each case is a way the
  // stream still learns of it.
  test.each([
    [
      'a change made with SQL by hand arrives with the notice the README tells operators to send',
      async () => {
        await app.db.pool`select pg_notify('challenge_outbox', ${user})`;
      },
    ],
    [
      'a change nobody announced arrives when a process starts (one killed before its notice)',
      async () => {
        const starting = createChangeNotices({ db: () => app.db.pool, logger: createLogger('fatal') });
        starting.announceRestart();
        await starting.stop();
      },
    ],
  ])('%s', async (_name, announce) => {
    await initialize();
    const stream = await open();
    try {
      await stream.waitFor((e) => e.event === 'snapshot');
      await completeTutorialBySql();
      await announce();
      const [completed] = await stream.waitFor((e) => e.event === 'goal.completed');
      expect(completed?.json['goalId']).toBe('tutorial');
      expect(completed && goalOf(completed)).toMatchObject({ progress: 1, status: 'completed' });
    } finally {
      stream.close();
    }
  });
});

describe('resuming', () => {
  test('Last-Event-ID replays the outbox after it: nothing missed, nothing repeated', async () => {
    const first = await open();
    await first.waitFor((e) => e.event === 'snapshot');
    await initialize();
    const assigned = await first.waitFor((e) => e.event === 'goal.assigned', { count: 3 });
    first.close();
    const resumeAt = assigned[0]?.id ?? '';
    // Changes while no stream is open: a completion, a claim, an unassignment.
    await flush([stat('tutorial_completed', 1)]);
    expect(
      (await app.request('POST', '/v1/challenges/progression/goals/tutorial/claim', { user })).status,
    ).toBe(200);
    await app.request('PUT', '/v1/challenges/starter-challenge/goals/login-3-times/active', {
      user,
      body: { isActive: false },
    });
    const all = await readPlayerMessages(app.db.pool, user, OUTBOX_START, 100);
    const afterResume = all.slice(1);
    expect(afterResume).toHaveLength(5);

    const resumes: Array<{ query: string; headers: Record<string, string> }> = [
      { query: '', headers: { 'last-event-id': resumeAt } },
      { query: `?last_event_id=${resumeAt}`, headers: {} },
    ];
    for (const resume of resumes) {
      const again = await open(resume.query, resume.headers);
      try {
        const [snapshot] = await again.waitFor((e) => e.event === 'snapshot');
        expect(snapshot?.id).toBe(resumeAt);
        const replayed = await again.waitFor(isGoalEvent, { count: afterResume.length });
        expect(replayed.map((e) => e.id)).toEqual(afterResume.map((m) => formatEventId(m.cursor)));
        expect(replayed.map((e) => e.event)).toEqual(afterResume.map((m) => m.type));
        // Then live from where the replay ended.
        await Bun.sleep(100);
        const from = again.events.length;
        expect(again.events.filter(isGoalEvent)).toHaveLength(afterResume.length);
        await app.request('PUT', '/v1/challenges/starter-challenge/goals/login-3-times/active', {
          user,
          body: { isActive: afterResume.at(-1)?.type === 'goal.unassigned' },
        });
        const [live] = await again.waitFor(isGoalEvent, { from });
        const latest = await readPlayerMessages(app.db.pool, user, OUTBOX_START, 100);
        expect(live?.id).toBe(formatEventId(latest.at(-1)?.cursor ?? OUTBOX_START));
        afterResume.push(...latest.slice(afterResume.length + 1));
      } finally {
        again.close();
      }
    }
  });

  test('an id later than the outbox resumes at its head', async () => {
    await initialize();
    const stream = await open('', { 'last-event-id': '999999999999-999999999' });
    try {
      const [snapshot] = await stream.waitFor((e) => e.event === 'snapshot');
      const messages = await readPlayerMessages(app.db.pool, user, OUTBOX_START, 100);
      expect(snapshot?.id).toBe(formatEventId(messages.at(-1)?.cursor ?? OUTBOX_START));
      await flush([stat('tutorial_completed', 1)]);
      await stream.waitFor((e) => e.event === 'goal.completed');
    } finally {
      stream.close();
    }
  });
});

describe('the connection', () => {
  test('heartbeats come as comment lines', async () => {
    const stream = await open();
    try {
      await stream.waitFor((e) => e.event === 'snapshot');
      const deadline = Date.now() + 3_000;
      while (stream.comments.length < 2 && Date.now() < deadline) await Bun.sleep(25);
      expect(stream.comments.slice(0, 2)).toEqual(['heartbeat', 'heartbeat']);
    } finally {
      stream.close();
    }
  });

  test('a stream with traffic gets no heartbeat; one quiet for the period gets one', async () => {
    await initialize();
    const stream = await open();
    try {
      await stream.waitFor((e) => e.event === 'snapshot');
      // A change every 50 ms for ~0.6 s, with heartbeats due after 150 ms of quiet.
      for (let kills = 1; kills <= 9; kills++) {
        await flush([stat('enemy_kills', kills)]);
        await stream.waitFor((e) => e.event === 'goal.progress' && goalOf(e)['progress'] === kills);
        await Bun.sleep(50);
      }
      expect(stream.comments).toEqual([]);
      const deadline = Date.now() + 3_000;
      while (stream.comments.length === 0 && Date.now() < deadline) await Bun.sleep(25);
      expect(stream.comments).toEqual(['heartbeat']);
    } finally {
      stream.close();
    }
  });

  test('a client that disconnects frees its stream', async () => {
    // Streams closed by earlier tests are freed first.
    await openStreamsBecome(0);
    const stream = await open();
    await stream.waitFor((e) => e.event === 'snapshot');
    expect(app.streams.openStreams()).toBe(1);
    expect(await app.metrics.registry.getSingleMetricAsString('challenge_streams_open')).toContain(
      'challenge_streams_open 1',
    );
    stream.close();
    await openStreamsBecome(0);
  });
});
