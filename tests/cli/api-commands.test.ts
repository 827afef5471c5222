/** The REST commands against a real service process (AUTH_MODE=mock, the test challenge config). */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { freePort } from '../../src/db/embedded-postgres.ts';
import { runCli } from '../helpers/cli.ts';
import { type ServiceProcess, startServiceProcess } from '../helpers/service-process.ts';
import { createTestDb, type TestDb } from '../helpers/test-db.ts';

const NAMESPACE = 'cli-test';
let db: TestDb;
let service: ServiceProcess;
let grpcTarget = '';

beforeAll(async () => {
  db = await createTestDb();
  const grpcPort = await freePort();
  grpcTarget = `127.0.0.1:${grpcPort}`;
  service = await startServiceProcess({
    DATABASE_URL: db.url,
    AUTH_MODE: 'mock',
    AB_NAMESPACE: NAMESPACE,
    CHALLENGE_CONFIG_PATH: 'config/challenges.test.json',
    GRPC_PORT: String(grpcPort),
  });
  await service.waitForHealthy();
}, 60_000);

afterAll(async () => {
  await service?.terminate();
  await db?.drop();
});

/** `<command> … --url <service> --mock-user <user>` */
const cli = (user: string, ...args: string[]) =>
  runCli([...args, '--url', service.baseUrl, '--mock-user', user]);

const api = async (user: string, method: string, path: string) => {
  const response = await fetch(`${service.baseUrl}${path}`, { method, headers: { 'x-mock-user-id': user } });
  return { status: response.status, body: (await response.json()) as unknown };
};

interface GoalView {
  goalId: string;
  status: string;
}
interface ChallengeView {
  challengeId: string;
  goals: GoalView[];
}

test('challenges prints a table of goals with their statuses', async () => {
  const result = await cli('table-user', 'challenges');
  expect(result.exitCode).toBe(0);
  const lines = result.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^CHALLENGE\s+GOAL\s+STATUS\s+PROGRESS\s+ACTIVE\s+LOCKED\s+REWARD$/);
  expect(result.stdout).toMatch(
    /starter-challenge\s+defeat-10-enemies\s+not_started\s+0\/10\s+no\s+no\s+ITEM bronze_sword x1/,
  );
  expect(result.stdout).toContain('login-3-times');
  expect(result.stdout).toContain('daily-quests');
}, 15_000);

test('--json prints exactly what the API returned', async () => {
  await cli('json-user', 'initialize');
  const result = await cli('json-user', 'challenges', '--json');
  expect(result.exitCode).toBe(0);
  const expected = await api('json-user', 'GET', '/v1/challenges');
  expect(JSON.parse(result.stdout)).toEqual(expected.body);
}, 15_000);

test('one challenge, and --active-only keeps only active goals', async () => {
  const user = 'one-user';
  expect((await cli(user, 'initialize')).exitCode).toBe(0);

  const one = await cli(user, 'challenges', 'starter-challenge');
  expect(one.exitCode).toBe(0);
  expect(one.stdout).toContain('play-5-matches');
  expect(one.stdout).not.toContain('daily-quests');

  const active = await cli(user, 'challenges', 'starter-challenge', '--active-only');
  expect(active.exitCode).toBe(0);
  expect(active.stdout).toContain('defeat-10-enemies');
  expect(active.stdout).not.toContain('play-5-matches');

  const json = await cli(user, 'challenges', 'starter-challenge', '--active-only', '--json');
  const body = JSON.parse(json.stdout) as ChallengeView;
  expect(body.challengeId).toBe('starter-challenge');
  expect(body.goals.map((goal) => goal.goalId).sort()).toEqual(['defeat-10-enemies', 'login-3-times']);
}, 20_000);

test('initialize prints the counts and the assigned goals', async () => {
  const first = await cli('init-user', 'initialize');
  expect(first.exitCode).toBe(0);
  expect(first.stdout).toContain('newAssignments: 3');
  expect(first.stdout).toContain('totalActive: 3');
  expect(first.stdout).toMatch(/starter-challenge\s+defeat-10-enemies\s+not_started\s+0\/10/);

  const again = await cli('init-user', 'initialize', '--json');
  expect(JSON.parse(again.stdout)).toMatchObject({ newAssignments: 0, totalActive: 3 });
}, 15_000);

test('activate and deactivate print the message and change the goal', async () => {
  const user = 'toggle-user';
  const on = await cli(user, 'activate', 'starter-challenge', 'play-5-matches');
  expect(on).toMatchObject({ exitCode: 0, stdout: 'Goal activated successfully\n' });
  expect(await cli(user, 'challenges', 'starter-challenge', '--active-only')).toMatchObject({
    stdout: expect.stringMatching(/play-5-matches\s+not_started\s+0\/5\s+yes/),
  });

  const off = await cli(user, 'deactivate', 'starter-challenge', 'play-5-matches');
  expect(off).toMatchObject({ exitCode: 0, stdout: 'Goal deactivated successfully\n' });
  expect((await cli(user, 'challenges', 'starter-challenge', '--active-only')).stdout).not.toContain(
    'play-5-matches',
  );

  const unknownGoal = await cli(user, 'activate', 'starter-challenge', 'no-such-goal');
  expect(unknownGoal.exitCode).toBe(5);
  expect(unknownGoal.stderr).toContain('GOAL_NOT_FOUND');
}, 20_000);

test('claim of a goal completed by an `event stat` prints the reward', async () => {
  const user = 'claim-user';
  expect((await cli(user, 'initialize')).exitCode).toBe(0);
  const sent = await runCli([
    'event',
    'stat',
    '--target',
    grpcTarget,
    '--namespace',
    NAMESPACE,
    '--user',
    user,
    '--stat',
    'enemy_kills',
    '--value',
    '10',
  ]);
  expect(sent.exitCode).toBe(0);
  expect(sent.stdout).toStartWith('sent=1 ok=1 failed=0');

  const deadline = Date.now() + 10_000;
  let status = '';
  while (Date.now() < deadline) {
    const { body } = await api(user, 'GET', '/v1/challenges/starter-challenge');
    status = (body as ChallengeView).goals.find((goal) => goal.goalId === 'defeat-10-enemies')?.status ?? '';
    if (status === 'completed') break;
    await Bun.sleep(100);
  }
  expect(status).toBe('completed');

  const claimed = await cli(user, 'claim', 'starter-challenge', 'defeat-10-enemies');
  expect(claimed.exitCode).toBe(0);
  expect(claimed.stdout).toMatch(/^reward: ITEM bronze_sword x1\nclaimedAt: \d{4}-\d\d-\d\dT\S+Z\n$/);

  const again = await cli(user, 'claim', 'starter-challenge', 'defeat-10-enemies', '--json');
  expect(again.exitCode).toBe(5);
  expect(JSON.parse(again.stdout)).toMatchObject({ error: 'GOAL_ALREADY_CLAIMED' });
  expect(again.stderr).toContain('error: GOAL_ALREADY_CLAIMED (HTTP 409)');
}, 25_000);

test('claim of a goal that is not completed exits 5 with the API message', async () => {
  const user = 'early-user';
  expect((await cli(user, 'initialize')).exitCode).toBe(0);
  const result = await cli(user, 'claim', 'starter-challenge', 'login-3-times');
  expect(result.exitCode).toBe(5);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain(
    "error: GOAL_NOT_COMPLETED (HTTP 400): Goal 'login-3-times' is not completed (status: not_started)",
  );
}, 15_000);

test('an unknown challenge exits 5 with CHALLENGE_NOT_FOUND', async () => {
  const result = await cli('lost-user', 'challenges', 'no-such-challenge');
  expect(result.exitCode).toBe(5);
  expect(result.stderr).toContain(
    "error: CHALLENGE_NOT_FOUND (HTTP 404): Challenge 'no-such-challenge' not found",
  );
}, 15_000);

test('health prints healthy and exits 0', async () => {
  const result = await runCli(['health', '--url', service.baseUrl]);
  expect(result).toMatchObject({ exitCode: 0, stdout: 'healthy\n' });
  const json = await runCli(['health', '--url', service.baseUrl, '--json']);
  expect(JSON.parse(json.stdout)).toEqual({ status: 'healthy' });
}, 15_000);
