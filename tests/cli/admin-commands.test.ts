/**
 * `token --admin`, the `admin` commands and `history` against a real service process in dev mode:
 * a dev admin token is minted by default, a player token is refused with a hint.
 */
import { expect, test } from 'bun:test';
import { decodeJwt } from 'jose';
import { runCli } from '../helpers/cli.ts';
import { useServiceProcess } from '../helpers/service-process.ts';

const SECRET = 'cli-admin-secret-with-enough-length-0123456789';
const NAMESPACE = 'cli-admin-ns';
const ENV = { DEV_JWT_SECRET: SECRET, AB_NAMESPACE: NAMESPACE };
const running = useServiceProcess({ AUTH_MODE: 'dev', ...ENV });

const cli = (...args: string[]) => runCli([...args, '--url', running.service().baseUrl], ENV);

test('token --admin carries the AGS permissions claim for the namespace, every action', async () => {
  const minted = await runCli(['token', '--admin', '--user', 'ops-ann'], ENV);
  expect(minted.exitCode).toBe(0);
  const claims = decodeJwt(minted.stdout.trim());
  expect(claims.sub).toBe('ops-ann');
  expect(claims['permissions']).toEqual([{ Resource: `ADMIN:NAMESPACE:${NAMESPACE}:CHALLENGE`, Action: 15 }]);
  const byDefault = decodeJwt((await runCli(['token', '--admin'], ENV)).stdout.trim());
  expect(byDefault.sub).toBe('cli-admin');
  expect((await runCli(['token'], ENV)).exitCode).toBe(2);
}, 15_000);

test('set-progress, challenges, events, complete, claim, reset, history and erase', async () => {
  const user = 'cli-target';
  expect(
    (await runCli(['initialize', '--url', running.service().baseUrl, '--user', user], ENV)).exitCode,
  ).toBe(0);

  const set = await cli('admin', 'set-progress', user, 'defeat-10-enemies', '4', '--as', 'ops-ann');
  expect(set.exitCode).toBe(0);
  expect(set.stdout).toContain(
    `set_progress starter-challenge/defeat-10-enemies for ${user}: defeat-10-enemies 0→4 not_started→in_progress`,
  );

  const view = await cli('admin', 'challenges', user);
  expect(view.exitCode).toBe(0);
  expect(view.stdout).toMatch(
    /^CHALLENGE\s+GOAL\s+STATUS\s+PROGRESS\s+ACTIVE\s+STORED\s+BASELINE\s+MARKER\s+UPDATED/,
  );
  expect(view.stdout).toMatch(
    /starter-challenge\s+defeat-10-enemies\s+in_progress\s+4\/10\s+yes\s+4 in_progress/,
  );
  expect(view.stdout).toMatch(/starter-challenge\s+play-5-matches\s+not_started\s+0\/5\s+no\s+-/);

  const completed = await cli('admin', 'complete', user, 'tutorial');
  expect(completed.stdout).toContain('tutorial 0→1 not_started→completed');
  const claimed = await cli('admin', 'claim', user, 'tutorial');
  expect(claimed.exitCode).toBe(0);
  expect(claimed.stdout).toContain('reward: ITEM starter_pack x1');
  const again = await cli('admin', 'claim', user, 'tutorial');
  expect(again.exitCode).toBe(5);
  expect(again.stderr).toContain('GOAL_ALREADY_CLAIMED');
  expect((await cli('admin', 'reset', user, 'tutorial')).stdout).toContain(
    'tutorial 1→0 claimed→not_started',
  );

  const trail = await cli('admin', 'events', user, '--goal', 'tutorial', '--limit', '2');
  expect(trail.exitCode).toBe(0);
  const lines = trail.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(3);
  expect(lines[1]).toContain('admin reset by cli-admin');
  expect(lines[2]).toContain('admin claim by cli-admin');

  const history = await runCli(
    ['history', 'starter-challenge', 'defeat-10-enemies', '--url', running.service().baseUrl, '--user', user],
    ENV,
  );
  expect(history.exitCode).toBe(0);
  expect(history.stdout).toContain('admin set_progress');
  expect(history.stdout).not.toContain('ops-ann');

  const erased = await cli('admin', 'erase', user, '--json');
  expect(erased.exitCode).toBe(0);
  expect(JSON.parse(erased.stdout)).toEqual({ userId: user, rowsDeleted: '3' });
}, 30_000);

test('a player token is refused with PERMISSION_DENIED (exit 5) and a hint; bad arguments exit 2', async () => {
  const player = (await runCli(['token', '--user', 'just-a-player'], ENV)).stdout.trim();
  const refused = await cli('admin', 'challenges', 'someone', '--token', player);
  expect(refused.exitCode).toBe(5);
  expect(refused.stderr).toContain('error: PERMISSION_DENIED (HTTP 403)');
  expect(refused.stderr).toContain('bun run cli token --admin');
  expect((await cli('admin', 'set-progress', 'someone', 'tutorial', 'lots')).exitCode).toBe(2);
  const noSecret = await runCli(['admin', 'challenges', 'someone', '--url', running.service().baseUrl], {
    DEV_JWT_SECRET: '',
    DATA_DIR: '/nonexistent-admin-cli-dir',
  });
  expect(noSecret.exitCode).toBe(2);
  expect(noSecret.stderr).toContain('--mock-admin');
}, 20_000);
