/**
 * What a process and a player may hold: further opens are refused with 429 before any stream
 * starts, opens arriving together cannot slip past the limit, and a stream that ends gives its
 * place back. A client that stops reading is cut off instead of being buffered for without end,
 * and many of them together cannot hold the process's memory.
 */
import { afterAll, expect, test } from 'bun:test';
import net from 'node:net';
import { counterValue, eventually } from '../helpers/notify-delivery.ts';
import { openSse, type SseClient } from '../helpers/sse.ts';
import { serveStreams } from '../helpers/stream-app.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

const app = await createTestApp({
  streamMaxOpen: 4,
  streamMaxPerPlayer: 2,
  streamMaxBufferedBytes: 256 * 1024,
});
const server = app.listen();
afterAll(async () => {
  await server.stop();
  await app.close();
});

const url = `${server.baseUrl}/v1/challenges/stream`;
const player = () => `limits-${crypto.randomUUID()}`;
const attempt = (user: string) => fetch(url, { headers: { 'x-mock-user-id': user } });

async function openStreamsBecome(count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (app.streams.openStreams() !== count && Date.now() < deadline) await Bun.sleep(20);
  expect(app.streams.openStreams()).toBe(count);
}

async function expectRefused(response: Response, message: RegExp): Promise<void> {
  expect(response.status).toBe(429);
  expect(response.headers.get('content-type')).toBe('application/json');
  const body = (await response.json()) as { error: string; message: string };
  expect(body.error).toBe('RESOURCE_EXHAUSTED');
  expect(body.message).toMatch(message);
}

test("a player's opens beyond the per-player limit are refused, even when sent together", async () => {
  const alice = player();
  const answers = await Promise.all(Array.from({ length: 5 }, () => attempt(alice)));
  const opened = answers.filter((response) => response.status === 200);
  const refused = answers.filter((response) => response.status !== 200);
  try {
    expect(opened).toHaveLength(2);
    for (const response of refused) await expectRefused(response, /already has 2 live streams/);
    await openStreamsBecome(2);
    // Another player is not affected by alice's streams.
    const bob = await openSse(url, { 'x-mock-user-id': player() });
    await bob.waitFor((e) => e.event === 'snapshot');
    bob.close();
  } finally {
    for (const response of opened) await response.body?.cancel();
  }
  await openStreamsBecome(0);
  // Her places are free again.
  const again = await openSse(url, { 'x-mock-user-id': alice });
  await again.waitFor((e) => e.event === 'snapshot');
  again.close();
  await openStreamsBecome(0);
});

test('opens beyond the process limit are refused until a stream ends', async () => {
  const streams: SseClient[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const stream = await openSse(url, { 'x-mock-user-id': player() });
      await stream.waitFor((e) => e.event === 'snapshot');
      streams.push(stream);
    }
    await expectRefused(await attempt(player()), /most live streams \(4\)/);
    streams.pop()?.close();
    await openStreamsBecome(3);
    const fifth = await openSse(url, { 'x-mock-user-id': player() });
    await fifth.waitFor((e) => e.event === 'snapshot');
    streams.push(fifth);
  } finally {
    for (const stream of streams) stream.close();
  }
  await openStreamsBecome(0);
});

/** A client that reads its stream up to the snapshot, then nothing more; `ended` once the connection is gone. */
function stopReadingAfterSnapshot(port: number, user: string) {
  const received: Buffer[] = [];
  let ended = false;
  const socket = net.connect(port, '127.0.0.1', () =>
    socket.write(`GET /v1/challenges/stream HTTP/1.1\r\nhost: x\r\nx-mock-user-id: ${user}\r\n\r\n`),
  );
  socket.on('data', (chunk: Buffer) => {
    received.push(chunk);
    if (Buffer.concat(received).includes('event: snapshot')) socket.pause();
  });
  socket.on('close', () => (ended = true));
  socket.on('error', () => (ended = true));
  return {
    /** Reads again: a cut connection ends without the chunked body's clean end. */
    async expectCut() {
      socket.resume();
      const deadline = Date.now() + 5_000;
      while (!ended && Date.now() < deadline) await Bun.sleep(20);
      expect(ended).toBe(true);
      expect(Buffer.concat(received).toString('latin1')).not.toContain('\r\n0\r\n\r\n');
    },
    destroy: () => socket.destroy(),
  };
}

/** Outbox messages for the player, ~600 bytes each on the stream, and the wake-up that sends them. */
async function flood(db: TestApp['db'], user: string, count: number): Promise<void> {
  await db.pool`
    insert into outbox_messages (user_id, namespace, type, challenge_id, goal_id, progress, status, occurred_at)
    select ${user}, 'test', 'goal.completed', 'starter-challenge', 'defeat-10-enemies', 10, 'completed', now()
    from generate_series(1, ${count}::int)`;
  await db.pool`select pg_notify('challenge_outbox', ${user})`;
}

test('a client that stops reading is cut off once its unread events pass the bound', async () => {
  const user = player();
  expect((await app.request('POST', '/v1/challenges/initialize', { user })).status).toBe(200);
  const client = stopReadingAfterSnapshot(server.port, user);
  try {
    await openStreamsBecome(1);
    // Far more events than the socket buffers and the bound together.
    await flood(app.db, user, 40_000);
    // The service lets go of the stream although the client never read a byte more.
    await openStreamsBecome(0);
    await client.expectCut();
  } finally {
    client.destroy();
  }
}, 30_000);

test("a client that stopped reading is cut once the process's streams hold too much together; readers stay", async () => {
  // Each stream's own bound is far away: only the process's budget can cut. The stall is timed on
  // a clock of the test's, so no client counts as stalled until the test moves it.
  const budget = 2 * 1024 * 1024;
  let skipped = 0;
  const tight = await serveStreams({
    streamMaxBufferedBytes: 256 * 1024 * 1024,
    streamMaxUnreadBytes: budget,
    streamStallMs: 60_000,
    streamStallClock: () => performance.now() + skipped,
  });
  const stalled = player();
  await tight.app.request('POST', '/v1/challenges/initialize', { user: stalled });
  const reader = await tight.openNewPlayer('reader');
  const client = stopReadingAfterSnapshot(tight.server.port, stalled);
  const unread = () => counterValue(tight.app.metrics, 'challenge_stream_unread_bytes');
  const cuts = async (reason: string) =>
    (await tight.app.metrics.registry.getSingleMetric('challenge_streams_cut_total')?.get())?.values.find(
      (value) => value.labels['reason'] === reason,
    )?.value ?? 0;
  try {
    await eventually(() => tight.app.streams.openStreams() === 2, 'both streams open');
    // ~24 MB for a client that reads nothing, more than the socket buffers take: the process then
    // holds more than its budget.
    await flood(tight.app.db, stalled, 40_000);
    await eventually(async () => (await unread()) > budget, 'the unread text past the budget');
    // A client that reads is sent more meanwhile, and keeps its stream.
    await flood(tight.app.db, reader.user, 2_000);
    await reader.stream.waitFor((e) => e.event === 'goal.completed', { count: 2_000, timeoutMs: 20_000 });
    expect(tight.app.streams.openStreams()).toBe(2);
    // A minute later the one that took nothing is cut at its next event, and what it held is freed.
    skipped = 61_000;
    await flood(tight.app.db, stalled, 1);
    await eventually(() => tight.app.streams.openStreams() === 1, 'the stalled stream cut');
    await client.expectCut();
    expect(await cuts('process')).toBe(1);
    expect(await cuts('client')).toBe(0);
    expect(await unread()).toBeLessThan(64 * 1024);
  } finally {
    client.destroy();
    reader.stream.close();
  }
}, 60_000);

test('a stream the service ends frees what its client did not take', async () => {
  const ending = await serveStreams({ streamStallMs: 300, streamMaxBufferedBytes: 256 * 1024 * 1024 });
  const stalled = player();
  await ending.app.request('POST', '/v1/challenges/initialize', { user: stalled });
  const client = stopReadingAfterSnapshot(ending.server.port, stalled);
  const unread = () => counterValue(ending.app.metrics, 'challenge_stream_unread_bytes');
  try {
    await eventually(() => ending.app.streams.openStreams() === 1, 'the stream open');
    await flood(ending.app.db, stalled, 40_000);
    await eventually(async () => (await unread()) > 1024 * 1024, 'text the client does not take');
    // As at shutdown: every stream is ended, each after what was sent on it.
    await ending.app.streams.stop();
    await eventually(async () => (await unread()) === 0, 'the unread text freed');
    await client.expectCut();
  } finally {
    client.destroy();
  }
}, 30_000);

test('a list larger than the bound is still delivered, and the stream stays open', async () => {
  const small = await serveStreams({ streamMaxBufferedBytes: 512 });
  const { user, stream } = await small.openNewPlayer('limits');
  try {
    const [snapshot] = stream.events.filter((e) => e.event === 'snapshot');
    expect(Buffer.byteLength(snapshot?.data ?? '')).toBeGreaterThan(512);
    await small.app.request('PUT', '/v1/challenges/starter-challenge/goals/play-5-matches/active', {
      user,
      body: { isActive: true },
    });
    const [assigned] = await stream.waitFor((e) => e.event === 'goal.assigned');
    expect(assigned?.json['goalId']).toBe('play-5-matches');
    expect(small.app.streams.openStreams()).toBe(1);
  } finally {
    stream.close();
  }
});
