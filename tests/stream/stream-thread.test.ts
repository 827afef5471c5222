/**
 * Streams served as the service serves them: the hub in the stream thread, the response bodies on
 * the main thread. What a client sees must not depend on that split: the snapshot, then each
 * change; limits refused before the stream starts; a client that leaves is forgotten; a stop ends
 * every stream; a new configuration reaches the rendering.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { statEvent } from '../helpers/pipeline-events.ts';
import type { SseEvent } from '../helpers/sse.ts';
import { cutConnections, serveStreams } from '../helpers/stream-app.ts';
import { TEST_CONFIG_PATH } from '../helpers/test-app.ts';

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await Bun.sleep(10);
  }
}

describe('a stream served from the stream thread', () => {
  test('gets the snapshot, then outbox and progress changes in order, with resumable ids', async () => {
    const { app, open, openNewPlayer } = await serveStreams();
    const { user, stream } = await openNewPlayer('thread');
    try {
      const [snapshot] = stream.events;
      const challenges = snapshot?.json['challenges'] as { goals: { goalId: string }[] }[];
      const goalIds = challenges.flatMap((challenge) => challenge.goals.map((goal) => goal.goalId));
      expect(goalIds).toContain('defeat-10-enemies');
      expect(app.streams.openStreams()).toBe(1);

      await app.applyEvents([statEvent(user, 'enemy_kills', 4)], new Date());
      const [progress] = await stream.waitFor((e) => e.event === 'goal.progress');
      expect(progress?.json['goalId']).toBe('defeat-10-enemies');
      expect(progress?.json['goal']).toMatchObject({ progress: 4 });

      await app.applyEvents([statEvent(user, 'enemy_kills', 12)], new Date());
      const [completed] = await stream.waitFor((e) => e.event === 'goal.completed');
      expect(completed?.json['goal']).toMatchObject({ status: 'completed' });
      expect(completed?.id).toMatch(/.+/);

      // Resuming after the snapshot's id replays the completion, and only it.
      const resumed = await open(user, `?last_event_id=${encodeURIComponent(snapshot?.id ?? '')}`);
      try {
        const [replayed] = await resumed.waitFor((e) => e.event === 'goal.completed');
        expect(replayed?.id).toBe(completed?.id);
      } finally {
        resumed.close();
      }
      expect(
        await app.metrics.registry.getSingleMetricAsString('challenge_stream_events_sent_total'),
      ).toContain('type="goal.completed"} 2');
    } finally {
      stream.close();
    }
  });

  test("after the thread's read connection is cut, the next change still arrives", async () => {
    const { app, openNewPlayer } = await serveStreams();
    const { user, stream } = await openNewPlayer('thread-cut');
    try {
      // Every connection of the service but the LISTEN one: the thread's reads reconnect.
      expect(await cutConnections(app, 'challenge-service')).toBeGreaterThan(0);
      // The first read after the cut may fail; the stream then gets the state as a fresh snapshot.
      const from = stream.events.length;
      await app.applyEvents([statEvent(user, 'enemy_kills', 5)], new Date());
      const showsFive = (e: SseEvent) => {
        if (e.event === 'goal.progress') return (e.json['goal'] as { progress?: number }).progress === 5;
        if (e.event !== 'snapshot') return false;
        const challenges = e.json['challenges'] as { goals: { goalId: string; progress: number }[] }[];
        const goal = challenges.flatMap((c) => c.goals).find((g) => g.goalId === 'defeat-10-enemies');
        return goal?.progress === 5;
      };
      await stream.waitFor(showsFive, { from, timeoutMs: 10_000 });
      // And the reads work again: the next change is an event.
      await app.applyEvents([statEvent(user, 'enemy_kills', 7)], new Date());
      const [progress] = await stream.waitFor(
        (e) => e.event === 'goal.progress' && (e.json['goal'] as { progress?: number }).progress === 7,
        { timeoutMs: 10_000 },
      );
      expect(progress?.json['goalId']).toBe('defeat-10-enemies');
    } finally {
      stream.close();
    }
  }, 20_000);

  test('a client that leaves is forgotten by the thread', async () => {
    const { app, open } = await serveStreams();
    const streams = await Promise.all([open('leave-a'), open('leave-b')]);
    expect(app.streams.openStreams()).toBe(2);
    streams[0]?.close();
    await waitUntil(() => app.streams.openStreams() === 1);
    streams[1]?.close();
    await waitUntil(() => app.streams.openStreams() === 0);
  });

  test("the player's limit is answered 429 before a stream starts", async () => {
    const { app, url, open } = await serveStreams({ streamMaxPerPlayer: 1 });
    const first = await open('limited');
    try {
      const refused = await fetch(url, { headers: { 'x-mock-user-id': 'limited' } });
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: string }).error).toBe('RESOURCE_EXHAUSTED');
      expect(app.streams.openStreams()).toBe(1);
    } finally {
      first.close();
    }
  });

  test('a new configuration renders from the next change on', async () => {
    const { app, openNewPlayer } = await serveStreams();
    const { user, stream } = await openNewPlayer('thread-config');
    try {
      const document = JSON.parse(readFileSync(TEST_CONFIG_PATH, 'utf8')) as {
        challenges: { goals: { goalId: string; name: string }[] }[];
      };
      for (const challenge of document.challenges)
        for (const goal of challenge.goals) if (goal.goalId === 'defeat-10-enemies') goal.name = 'Renamed';
      const put = await app.request('PUT', '/v1/admin/config', { admin: 'ops', body: document });
      expect(put.status).toBe(200);
      await app.applyEvents([statEvent(user, 'enemy_kills', 3)], new Date());
      const [progress] = await stream.waitFor((e) => e.event === 'goal.progress');
      expect(progress?.json['goal']).toMatchObject({ name: 'Renamed' });
    } finally {
      stream.close();
    }
  });

  test('stopping ends every open stream, and later opens are 503', async () => {
    const { app, server, url, open } = await serveStreams();
    const streams = await Promise.all([open('stop-a'), open('stop-b')]);
    await app.streams.stop();
    await Promise.all(streams.map((stream) => stream.ended));
    const refused = await fetch(url, { headers: { 'x-mock-user-id': 'stop-c' } });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: string }).error).toBe('UNAVAILABLE');
    await server.stop();
  });
});
