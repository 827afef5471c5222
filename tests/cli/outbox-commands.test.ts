/**
 * `admin outbox parked` and `admin outbox redeliver` against a real service process in dev mode,
 * with the dev admin token the CLI mints by default.
 */
import { expect, test } from 'bun:test';
import { runCli } from '../helpers/cli.ts';
import { useServiceProcess } from '../helpers/service-process.ts';

const SECRET = 'cli-outbox-secret-with-enough-length-0123456789';
const ENV = { DEV_JWT_SECRET: SECRET, AB_NAMESPACE: 'cli-outbox-ns' };
const running = useServiceProcess({ AUTH_MODE: 'dev', ...ENV });

const cli = (...args: string[]) => runCli([...args, '--url', running.service().baseUrl], ENV);

test('parked lists dead letters with their last error; redeliver puts one back once', async () => {
  expect((await cli('admin', 'outbox', 'parked')).stdout.trim()).toBe('no parked messages');
  const user = 'cli-outbox-player';
  expect(
    (await runCli(['initialize', '--url', running.service().baseUrl, '--user', user], ENV)).exitCode,
  ).toBe(0);
  const [parked] = await running.db().pool<{ id: string }[]>`
    update outbox_messages set parked_at = now(), attempts = 12, last_error = 'HTTP 500: not now'
    where user_id = ${user} and goal_id = 'tutorial' returning id::text`;
  const id = parked?.id ?? '';

  const listed = await cli('admin', 'outbox', 'parked');
  expect(listed.exitCode).toBe(0);
  const [header, row, ...rest] = listed.stdout.trim().split('\n');
  expect(header).toMatch(/^ID\s+PARKED\s+ATTEMPTS\s+TYPE\s+USER\s+GOAL\s+LAST ERROR$/);
  expect(row?.split(/\s{2,}/)).toEqual([
    id,
    expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    '12',
    'goal.assigned',
    user,
    'tutorial',
    'HTTP 500: not now',
  ]);
  expect(rest).toEqual([]);
  expect(JSON.parse((await cli('admin', 'outbox', 'parked', '--json')).stdout).messages).toHaveLength(1);

  const redelivered = await cli('admin', 'outbox', 'redeliver', id, '--as', 'ops-ann');
  expect(redelivered).toMatchObject({ exitCode: 0 });
  expect(redelivered.stdout.trim()).toBe(
    `message ${id} (goal.assigned tutorial for ${user}) is due for delivery again`,
  );
  // No webhook is configured here, so it stays pending.
  expect((await cli('admin', 'outbox', 'redeliver', id)).stdout.trim()).toBe(
    `message ${id} is not parked (pending); nothing changed`,
  );
  expect((await cli('admin', 'outbox', 'parked')).stdout.trim()).toBe('no parked messages');
}, 30_000);

test('an unknown or malformed id is a client error naming it', async () => {
  const unknown = await cli('admin', 'outbox', 'redeliver', '123456789');
  expect(unknown.exitCode).toBe(5);
  expect(unknown.stderr).toContain("Outbox message '123456789' not found");
  const malformed = await cli('admin', 'outbox', 'redeliver', 'abc');
  expect(malformed.exitCode).toBe(5);
  expect(malformed.stderr).toContain('INVALID_REQUEST');
}, 15_000);
