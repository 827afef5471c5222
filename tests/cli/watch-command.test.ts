/** `bun run cli watch` against a running app: prints the stream, resumes, reports a refused stream. */
import { afterAll, expect, test } from 'bun:test';
import { OUTBOX_START, readPlayerMessages } from '../../src/db/outbox.ts';
import { formatEventId } from '../../src/stream/event-id.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestApp } from '../helpers/test-app.ts';

const app = await createTestApp();
const server = app.listen();
afterAll(async () => {
  await server.stop();
  await app.close();
});

const REPO_ROOT = new URL('../../', import.meta.url).pathname;

/** Starts `watch`, resolves once it printed its first line (the snapshot), then lets the test act. */
async function startWatch(args: string[]) {
  const child = Bun.spawn(['bun', 'src/cli/main.ts', 'watch', '--url', server.baseUrl, ...args], {
    cwd: REPO_ROOT,
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const decoder = new TextDecoder();
  let stdout = '';
  const reader = child.stdout.getReader();
  const collected = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      stdout += decoder.decode(value, { stream: true });
    }
  })();
  const deadline = Date.now() + 15_000;
  while (!stdout.includes('\n') && Date.now() < deadline && child.exitCode === null) await Bun.sleep(20);
  return {
    firstLine: () => stdout.split('\n')[0] ?? '',
    async finished() {
      const exitCode = await child.exited;
      await collected;
      return { exitCode, lines: stdout.trim().split('\n'), stderr: await new Response(child.stderr).text() };
    },
  };
}

test('watch --json prints the snapshot, then each event as it arrives, until --count', async () => {
  const user = `watch-${crypto.randomUUID()}`;
  const watch = await startWatch(['--mock-user', user, '--json', '--count', '3']);
  expect(JSON.parse(watch.firstLine())).toMatchObject({ event: 'snapshot' });
  await app.request('POST', '/v1/challenges/initialize', { user });
  const { exitCode, lines } = await watch.finished();
  expect(exitCode).toBe(0);
  const events = lines
    .slice(1)
    .map((line) => JSON.parse(line) as { id: string; event: string; data: string });
  const messages = await readPlayerMessages(app.db.pool, user, OUTBOX_START, 10);
  expect(events.map((e) => e.event)).toEqual(['goal.assigned', 'goal.assigned', 'goal.assigned']);
  expect(events.map((e) => e.id)).toEqual(messages.map((m) => formatEventId(m.cursor)));
  expect(JSON.parse(events[0]?.data ?? '{}')).toMatchObject({
    type: 'goal.assigned',
    goalId: messages[0]?.goalId,
  });
}, 30_000);

test('watch prints one readable line per event, and --last-event-id replays what came after it', async () => {
  const user = `watch-${crypto.randomUUID()}`;
  await app.request('POST', '/v1/challenges/initialize', { user });
  const messages = await readPlayerMessages(app.db.pool, user, OUTBOX_START, 10);
  const after = formatEventId(messages[0]?.cursor ?? OUTBOX_START);
  const { exitCode, stdout } = await runCli([
    'watch',
    '--url',
    server.baseUrl,
    '--mock-user',
    user,
    '--last-event-id',
    after,
    '--count',
    '2',
  ]);
  expect(exitCode).toBe(0);
  const lines = stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^snapshot: 3 challenges, 8 goals \(3 active\)/);
  expect(lines.slice(1)).toHaveLength(2);
  for (const [index, line] of lines.slice(1).entries()) {
    const message = messages[index + 1];
    expect(line).toContain('goal.assigned');
    expect(line).toContain(`${message?.challengeId}/${message?.goalId}`);
    expect(line).toContain(`[id ${formatEventId(message?.cursor ?? OUTBOX_START)}]`);
  }
}, 30_000);

test('a refused stream is reported like any API error', async () => {
  const { exitCode, stderr } = await runCli([
    'watch',
    '--url',
    server.baseUrl,
    '--mock-user',
    'x'.repeat(101),
  ]);
  expect(exitCode).toBe(4);
  expect(stderr).toContain('UNAUTHENTICATED (HTTP 401)');
  const malformed = await runCli([
    'watch',
    '--url',
    server.baseUrl,
    '--mock-user',
    'u',
    '--last-event-id',
    'nope',
  ]);
  expect(malformed.exitCode).toBe(5);
  expect(malformed.stderr).toContain('INVALID_REQUEST (HTTP 400)');
}, 30_000);

test('watch reconnects from a stream gone quiet and through a replica answering 503, resuming after the last id', async () => {
  // A fake service: the first stream sends a snapshot and one event (with CRLF line ends and a
  // `retry` of 100 ms), then goes quiet without closing; the next open is 503 (a replica shutting
  // down); the one after that replays the next event.
  const opens: Array<string | null> = [];
  const fake = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    idleTimeout: 0,
    fetch: (request) => {
      opens.push(request.headers.get('last-event-id'));
      // Pieces a moment apart, so that each reaches the client on its own; the stream stays open.
      const sse = (...pieces: string[]) =>
        new Response(
          new ReadableStream({
            async start(controller) {
              for (const piece of pieces) {
                controller.enqueue(new TextEncoder().encode(piece));
                await Bun.sleep(50);
              }
            },
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        );
      if (opens.length === 1)
        // The id's CRLF is split between two pieces.
        return sse(
          'retry: 100\r\n\r\nevent: snapshot\r\ndata: {}\r\n\r\nid:7-1\r',
          '\nevent: goal.progress\r\ndata: {}\r\n\r\n',
        );
      if (opens.length === 2)
        return Response.json({ error: 'UNAVAILABLE', message: 'shutting down' }, { status: 503 });
      return sse('id: 7-2\nevent: goal.completed\ndata: {}\n\n');
    },
  });
  try {
    const result = await runCli([
      'watch',
      '--url',
      `http://127.0.0.1:${fake.port}`,
      '--mock-user',
      'u',
      '--json',
      '--count',
      '2',
      '--idle-ms',
      '500',
    ]);
    expect(result.exitCode).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id?: string; event: string });
    expect(events.map((event) => [event.event, event.id])).toEqual([
      ['snapshot', undefined],
      ['goal.progress', '7-1'],
      ['goal.completed', '7-2'],
    ]);
    expect(opens).toEqual([null, '7-1', '7-1']);
    expect(result.stderr).toContain('HTTP 503; reconnecting');
  } finally {
    await fake.stop(true);
  }
}, 30_000);
