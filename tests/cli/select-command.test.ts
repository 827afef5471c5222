/** `select`: batch and random selection against a real service process (AUTH_MODE=mock, test config). */
import { expect, test } from 'bun:test';
import { runCli } from '../helpers/cli.ts';
import { useMockServiceProcess } from '../helpers/service-process.ts';

const running = useMockServiceProcess('config/challenges.test.json');

const cli = (user: string, ...args: string[]) =>
  runCli([...args, '--url', running.service().baseUrl, '--mock-user', user]);

async function activeGoals(user: string): Promise<string[]> {
  const response = await fetch(
    `${running.service().baseUrl}/v1/challenges/starter-challenge?active_only=true`,
    {
      headers: { 'x-mock-user-id': user },
    },
  );
  const body = (await response.json()) as { goals: { goalId: string }[] };
  return body.goals.map((goal) => goal.goalId);
}

test('select <challengeId> <goalId...> prints the totals and a table of the selected goals', async () => {
  const user = 'select-batch';
  const result = await cli(user, 'select', 'starter-challenge', 'play-5-matches', 'defeat-10-enemies');
  expect(result.exitCode).toBe(0);
  const lines = result.stdout.trimEnd().split('\n');
  expect(lines.slice(0, 2)).toEqual(['totalActiveGoals: 2', 'replacedGoals: none']);
  expect(lines[3]).toMatch(/^GOAL\s+STATUS\s+PROGRESS\s+ACTIVE\s+REWARD\s+ASSIGNED AT$/);
  expect(lines[4]).toMatch(/^play-5-matches\s+not_started\s+0\/5\s+yes\s+WALLET GOLD x100\s+\d{4}-\S+Z$/);
  expect(lines[5]).toMatch(/^defeat-10-enemies\s+not_started\s+0\/10\s+yes/);
  expect(await activeGoals(user)).toEqual(['defeat-10-enemies', 'play-5-matches']);
}, 15_000);

test('--replace deactivates the others and lists them', async () => {
  const user = 'select-replace';
  expect((await cli(user, 'select', 'starter-challenge', 'play-5-matches', 'login-3-times')).exitCode).toBe(
    0,
  );
  const result = await cli(user, 'select', 'starter-challenge', 'defeat-10-enemies', '--replace');
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toStartWith('totalActiveGoals: 1\nreplacedGoals: login-3-times, play-5-matches\n');
  expect(await activeGoals(user)).toEqual(['defeat-10-enemies']);
}, 15_000);

test('--random <count> --exclude-active draws new goals; --json prints the body as sent', async () => {
  const user = 'select-random';
  expect((await cli(user, 'select', 'starter-challenge', 'login-3-times')).exitCode).toBe(0);
  const result = await cli(
    user,
    'select',
    'starter-challenge',
    '--random',
    '5',
    '--exclude-active',
    '--json',
  );
  expect(result.exitCode).toBe(0);
  const body = JSON.parse(result.stdout) as {
    selectedGoals: { goalId: string }[];
    totalActiveGoals: number;
    replacedGoals: string[];
  };
  expect(body.selectedGoals.map((goal) => goal.goalId).sort()).toEqual([
    'defeat-10-enemies',
    'play-5-matches',
  ]);
  expect(body).toMatchObject({ totalActiveGoals: 3, replacedGoals: [] });
}, 15_000);

test('--random --replace replaces every active goal', async () => {
  const user = 'select-random-replace';
  expect((await cli(user, 'select', 'starter-challenge', 'login-3-times', 'play-5-matches')).exitCode).toBe(
    0,
  );
  const result = await cli(user, 'select', 'starter-challenge', '--random', '1', '--replace');
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain('totalActiveGoals: 1\nreplacedGoals: login-3-times, play-5-matches\n');
  expect(result.stdout).toMatch(/defeat-10-enemies\s+not_started\s+0\/10\s+yes/);
}, 15_000);

test('API errors exit 5 with the message: unknown goal, count 0, empty pool', async () => {
  const user = 'select-errors';
  const unknown = await cli(user, 'select', 'starter-challenge', 'no-such-goal');
  expect(unknown.exitCode).toBe(5);
  expect(unknown.stderr).toContain(
    "error: GOAL_NOT_FOUND (HTTP 404): Goal 'no-such-goal' not found in challenge 'starter-challenge'",
  );

  const zero = await cli(user, 'select', 'starter-challenge', '--random', '0');
  expect(zero.exitCode).toBe(5);
  expect(zero.stderr).toContain('error: INVALID_REQUEST (HTTP 400): count must be greater than 0');

  expect((await cli(user, 'select', 'starter-challenge', '--random', '3')).exitCode).toBe(0);
  const empty = await cli(user, 'select', 'starter-challenge', '--random', '2', '--exclude-active');
  expect(empty.exitCode).toBe(5);
  expect(empty.stderr).toContain(
    'error: INSUFFICIENT_GOALS (HTTP 400): INSUFFICIENT_GOALS: no goals available for selection (available: 0, requested: 2)',
  );
}, 20_000);

test.each([
  [['select', 'starter-challenge'], 'name the goals to select, or pass --random <count>'],
  [
    ['select', 'starter-challenge', 'a', '--random', '2'],
    'pass either goal ids or --random <count>, not both',
  ],
  [['select', 'starter-challenge', '--random', 'two'], "--random must be a whole number, got 'two'"],
  [['select', 'starter-challenge', 'a', '--exclude-active'], '--exclude-active only applies with --random'],
])(
  'usage error %p exits 2',
  async (args, message) => {
    const result = await cli('select-usage', ...args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`error: ${message}`);
  },
  15_000,
);

test('select --help describes both forms with examples', async () => {
  const result = await runCli(['select', '--help']);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain('Usage: challenge-cli select');
  expect(result.stdout).toContain('--random <count>');
  expect(result.stdout).toContain('--exclude-active');
  expect(result.stdout).toContain('$ bun run cli select combat-mastery');
}, 15_000);
