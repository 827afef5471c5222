/** `bun run cli event …` against an event server on loopback. */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { AppError } from '../../src/domain/errors.ts';
import { createEventServer, type EventServer } from '../../src/events/event-server.ts';
import type { IncomingEvent } from '../../src/events/incoming-event.ts';
import { runCli } from '../helpers/cli.ts';

const handled: IncomingEvent[] = [];
let server: EventServer;
let target = '';

beforeAll(async () => {
  server = createEventServer({
    namespace: 'game',
    handle: async (event) => {
      handled.push(event);
      if (event.userId === 'unlucky') throw new AppError('UNAVAILABLE', 'database unreachable');
    },
  });
  target = `127.0.0.1:${await server.listen('127.0.0.1', 0)}`;
});
beforeEach(() => {
  handled.length = 0;
});
afterAll(async () => {
  await server.shutdown(1_000);
});

const cli = (...args: string[]) => runCli(['event', ...args], { AB_NAMESPACE: 'game' });

test('event stat --count 3 sends three events with distinct random ids', async () => {
  const result = await cli(
    'stat',
    '--target',
    target,
    '--user',
    'u',
    '--stat',
    'enemy_kills',
    '--value',
    '5',
    '--count',
    '3',
  );
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toMatch(/^sent=3 ok=3 failed=0 elapsed=\S+s rate=\d+\/s\n$/);
  expect(handled).toHaveLength(3);
  expect(new Set(handled.map((event) => event.id)).size).toBe(3);
  for (const event of handled) {
    expect(event).toMatchObject({
      kind: 'statistic',
      userId: 'u',
      namespace: 'game',
      statCode: 'enemy_kills',
      value: 5,
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
  }
});

test('event login --id with --count suffixes the ids; --concurrency and --rate are honoured', async () => {
  const result = await cli(
    'login',
    '--target',
    target,
    '--user',
    'u',
    '--id',
    'ev',
    '--count',
    '4',
    '--concurrency',
    '2',
    '--rate',
    '100',
  );
  expect(result.exitCode).toBe(0);
  expect(handled.map((event) => event.id).sort()).toEqual(['ev-1', 'ev-2', 'ev-3', 'ev-4']);
});

test('failures are counted by status and make the exit code 1', async () => {
  const result = await cli('login', '--target', target, '--user', 'unlucky', '--count', '2');
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toStartWith('sent=2 ok=0 failed=2 (UNAVAILABLE=2)');
  expect(result.stderr).toContain('UNAVAILABLE: database unreachable');
});

test('a bad --value is a usage error', async () => {
  const result = await cli('stat', '--target', target, '--user', 'u', '--stat', 'k', '--value', 'many');
  expect(result.exitCode).toBe(2);
  expect(handled).toHaveLength(0);
});

test('a target nobody listens on exits 3, as the API commands do, and says so without a dangling note', async () => {
  const closed = await freePort();
  const result = await runCli(['event', 'login', '--user', 'u', '--target', `127.0.0.1:${closed}`]);
  expect(result.exitCode).toBe(3);
  expect(result.stderr).toContain(`no event reached 127.0.0.1:${closed}`);
  expect(result.stderr).not.toContain('Resolution note');
});
