/** `rotation`: a challenge's rotation status against a real service process (AUTH_MODE=mock). */
import { expect, test } from 'bun:test';
import { runCli } from '../helpers/cli.ts';
import { useMockServiceProcess } from '../helpers/service-process.ts';

const running = useMockServiceProcess('tests/fixtures/original-current-challenges.json');

const cli = (...args: string[]) =>
  runCli([...args, '--url', running.service().baseUrl, '--mock-user', 'cli-rotation']);

test('rotation <challengeId> prints the schedule and the current and next period', async () => {
  const result = await cli('rotation', 'weekly-challenges');
  expect(result.exitCode).toBe(0);
  const lines = result.stdout.trimEnd().split('\n');
  expect(lines[0]).toBe('weekly-challenges: weekly rotation (global)');
  expect(lines[1]).toMatch(
    /^current period: \d{4}-\d\d-\d\dT00:00:00Z to \d{4}-\d\d-\d\dT00:00:00Z \(ends in \d+ s\)$/,
  );
  expect(lines[2]).toMatch(/^next period: {4}\S+Z to \S+Z$/);
  const start = lines[1]?.match(/^current period: (\S+)/)?.[1] ?? '';
  expect(new Date(start).getUTCDay()).toBe(1);
}, 15_000);

test('--json prints the body exactly as the service sent it', async () => {
  const result = await cli('rotation', 'rotation-daily', '--json');
  expect(result.exitCode).toBe(0);
  const response = await fetch(`${running.service().baseUrl}/v1/challenges/rotation-daily/rotation`, {
    headers: { 'x-mock-user-id': 'cli-rotation' },
  });
  const body = (await response.json()) as { rotation: { currentPeriod: { expiresInSeconds: number } } };
  const printed = JSON.parse(result.stdout) as typeof body;
  // Seconds left may tick between the two calls.
  expect(
    Math.abs(printed.rotation.currentPeriod.expiresInSeconds - body.rotation.currentPeriod.expiresInSeconds),
  ).toBeLessThanOrEqual(2);
  printed.rotation.currentPeriod.expiresInSeconds = body.rotation.currentPeriod.expiresInSeconds;
  expect(printed).toEqual(body);
  expect(printed).toMatchObject({
    challengeId: 'rotation-daily',
    rotation: { enabled: true, schedule: 'daily' },
  });
}, 15_000);

test('a challenge without rotation, and an unknown challenge', async () => {
  const none = await cli('rotation', 'winter-challenge-2025');
  expect(none.exitCode).toBe(0);
  expect(none.stdout.trim()).toBe('winter-challenge-2025: no rotation');

  const unknown = await cli('rotation', 'no-such-challenge');
  expect(unknown.exitCode).toBe(5);
  expect(unknown.stderr).toContain('CHALLENGE_NOT_FOUND (HTTP 404)');
}, 15_000);
