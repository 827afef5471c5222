/**
 * REST commands: `challenges`, `initialize`, `activate`, `deactivate`, `select`, `claim`, `rotation`,
 * `history`, `health`.
 * Tables for people by default; `--json` prints the response body exactly as the service sent it.
 */
import type { Command } from 'commander';
import {
  type ApiAnswer,
  type ApiCall,
  type ApiClient,
  type ApiResponse,
  createApiClient,
  ServiceUnreachable,
} from './api-client.ts';
import { formatEntries } from './audit-output.ts';
import { mintCliToken } from './dev-token.ts';
import { fail } from './fail.ts';
import {
  EXIT,
  expectBody,
  formatChallenges,
  formatClaim,
  formatInitialize,
  formatSelection,
  type GoalSelectionBody,
  reportApiError,
  UnexpectedResponse,
} from './output.ts';
import { printable } from './printable.ts';
import { formatRotation } from './rotation-output.ts';

export interface ConnectionOptions {
  url: string;
  json?: boolean;
  timeoutMs: string;
}

interface ApiOptions extends ConnectionOptions {
  user?: string;
  token?: string;
  mockUser?: string;
}

const defaultUrl = () =>
  `http://localhost:${process.env['HTTP_PORT'] || '8000'}${process.env['BASE_PATH'] || ''}`;

export function withConnectionOptions(command: Command): Command {
  return command
    .option('--url <base>', 'service base URL (including BASE_PATH)', defaultUrl())
    .option('--json', 'print the response body exactly as the service returned it')
    .option('--timeout-ms <ms>', 'give up when the service does not answer within this time', '30000');
}

function withApiOptions(command: Command): Command {
  return withConnectionOptions(command)
    .option('-u, --user <userId>', 'act as this user with a dev token minted here (AUTH_MODE=dev)')
    .option('--token <jwt>', 'bearer token to send (e.g. from: bun run cli token --user <id>)')
    .option('--mock-user <userId>', 'send x-mock-user-id (AUTH_MODE=mock services)');
}

export const example = (command: Command, ...lines: string[]) =>
  command.addHelpText(
    'after',
    `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((line) => `  $ ${line}`).join('\n')}`,
  );

/** `--url` and `--timeout-ms`, checked: a usage error (exit 2) when either is malformed. */
export function connectionOf(options: ConnectionOptions): { baseUrl: string; timeoutMs: number } {
  try {
    new URL(options.url);
  } catch {
    fail(`--url must be a URL such as http://localhost:8000, got '${options.url}'`);
  }
  const timeoutMs = Number(options.timeoutMs);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
    fail(`--timeout-ms must be a positive integer, got '${options.timeoutMs}'`);
  return { baseUrl: options.url, timeoutMs };
}

async function clientFor(options: ApiOptions, authenticated: boolean): Promise<ApiClient> {
  const { timeoutMs } = connectionOf(options);
  if (!authenticated) return createApiClient({ baseUrl: options.url, auth: {}, timeoutMs });
  if (options.user !== undefined && options.token !== undefined)
    fail('pass either --user (mint a dev token) or --token, not both');
  const token = options.user !== undefined ? await mintCliToken(options.user) : options.token;
  return createApiClient({
    baseUrl: options.url,
    auth: {
      ...(token === undefined ? {} : { token }),
      ...(options.mockUser === undefined ? {} : { mockUser: options.mockUser }),
    },
    timeoutMs,
  });
}

/** The answer, or undefined after reporting an unreachable service (exit 3). */
async function answerOf<T>(request: Promise<ApiAnswer<T>>): Promise<ApiAnswer<T> | undefined> {
  try {
    return await request;
  } catch (error) {
    if (!(error instanceof ServiceUnreachable)) throw error;
    console.error(`error: ${error.message}`);
    console.error(`  (${error.reason})`);
    process.exitCode = EXIT.UNREACHABLE;
    return undefined;
  }
}

const printRaw = (response: ApiResponse) =>
  process.stdout.write(printable(response.text.endsWith('\n') ? response.text : `${response.text}\n`));

/**
 * Runs one request and prints its outcome: on 2xx the rendering (or the raw body with --json);
 * otherwise the API error (the raw body also goes to stdout with --json). Sets the exit code.
 */
async function run<T>(
  options: ApiOptions,
  call: ApiCall<T>,
  render: (answer: ApiAnswer<T>) => string,
): Promise<void> {
  await runWith(options, await clientFor(options, true), call, render);
}

/** `run` with a client the caller built (admin commands authenticate differently). */
export async function runWith<T>(
  options: ConnectionOptions,
  client: ApiClient,
  call: ApiCall<T>,
  render: (answer: ApiAnswer<T>) => string,
): Promise<void> {
  const response = await answerOf(client.send(call));
  if (response === undefined) return;
  const ok = response.status >= 200 && response.status < 300;
  if (options.json) printRaw(response);
  if (!ok) {
    process.exitCode = reportApiError(response);
    return;
  }
  if (options.json) return;
  try {
    console.log(printable(render(response)));
  } catch (error) {
    if (!(error instanceof UnexpectedResponse)) throw error;
    console.error(printable(`error: ${error.message}`));
    process.exitCode = EXIT.SERVER_ERROR;
  }
}

const activeOnlyQuery = (activeOnly: boolean | undefined) => ({
  active_only: activeOnly ? 'true' : undefined,
});

export function registerApiCommands(program: Command): void {
  example(
    withApiOptions(
      program
        .command('challenges')
        .argument('[challengeId]', 'show only this challenge')
        .description("List challenges with the user's progress, one row per goal"),
    ).option('--active-only', 'only goals that are active for the user'),
    'bun run cli challenges --user alice',
    'bun run cli challenges combat-mastery --active-only --mock-user alice --json',
  ).action((challengeId: string | undefined, options: ApiOptions & { activeOnly?: boolean }) => {
    const query = activeOnlyQuery(options.activeOnly);
    return challengeId === undefined
      ? run(
          options,
          (api) => api.GET('/v1/challenges', { params: { query } }),
          (answer) => formatChallenges(expectBody(answer, ['challenges']).challenges),
        )
      : run(
          options,
          (api) => api.GET('/v1/challenges/{challengeId}', { params: { path: { challengeId }, query } }),
          (answer) => formatChallenges([expectBody(answer, ['challengeId', 'goals'])]),
        );
  });

  example(
    withApiOptions(
      program
        .command('initialize')
        .description("Assign the user's default goals (what a game calls on every login)"),
    ),
    'bun run cli initialize --user alice',
  ).action((options: ApiOptions) =>
    run(
      options,
      (api) => api.POST('/v1/challenges/initialize'),
      (answer) => formatInitialize(expectBody(answer, ['assignedGoals', 'newAssignments', 'totalActive'])),
    ),
  );

  for (const [name, isActive, description] of [
    ['activate', true, 'Activate a goal for the user (keeps earlier progress)'],
    ['deactivate', false, 'Deactivate a goal for the user (events stop counting for it)'],
  ] as const) {
    example(
      withApiOptions(
        program
          .command(name)
          .argument('<challengeId>', 'challenge id')
          .argument('<goalId>', 'goal id')
          .description(description),
      ),
      `bun run cli ${name} combat-mastery win-5-matches --user alice`,
    ).action((challengeId: string, goalId: string, options: ApiOptions) =>
      run(
        options,
        (api) =>
          api.PUT('/v1/challenges/{challengeId}/goals/{goalId}/active', {
            params: { path: { challengeId, goalId } },
            body: { isActive },
          }),
        (answer) => expectBody(answer, ['message']).message,
      ),
    );
  }

  example(
    withApiOptions(
      program
        .command('select')
        .argument('<challengeId>', 'challenge id')
        .argument('[goalIds...]', 'goals to activate (batch-select); leave out with --random')
        .description(
          'Activate several goals at once: the listed ones, or --random <count> drawn by the service',
        ),
    )
      .option('--random <count>', 'let the service draw this many goals (random-select)')
      .option('--replace', 'deactivate the other active goals of the challenge (progress is kept)')
      .option('--exclude-active', 'with --random: never draw a goal that is already active'),
    'bun run cli select combat-mastery defeat-10-enemies win-5-matches --replace --user alice',
    'bun run cli select combat-mastery --random 2 --exclude-active --user alice',
  ).action(
    (
      challengeId: string,
      goalIds: string[],
      options: ApiOptions & { random?: string; replace?: boolean; excludeActive?: boolean },
    ) => {
      const replaceExisting = options.replace === true;
      const params = { path: { challengeId } };
      let call: ApiCall<GoalSelectionBody>;
      if (options.random === undefined) {
        if (goalIds.length === 0) fail('name the goals to select, or pass --random <count>');
        if (options.excludeActive) fail('--exclude-active only applies with --random');
        const body = { goalIds, replaceExisting };
        call = (api) => api.POST('/v1/challenges/{challengeId}/goals/batch-select', { params, body });
      } else {
        if (goalIds.length > 0) fail('pass either goal ids or --random <count>, not both');
        const count = Number(options.random);
        if (options.random.trim() === '' || !Number.isInteger(count))
          fail(`--random must be a whole number, got '${options.random}'`);
        const body = { count, replaceExisting, excludeActive: options.excludeActive === true };
        call = (api) => api.POST('/v1/challenges/{challengeId}/goals/random-select', { params, body });
      }
      return run(options, call, (answer) =>
        formatSelection(expectBody(answer, ['selectedGoals', 'totalActiveGoals', 'replacedGoals'])),
      );
    },
  );

  example(
    withApiOptions(
      program
        .command('claim')
        .argument('<challengeId>', 'challenge id')
        .argument('<goalId>', 'goal id')
        .description("Claim a completed goal's reward"),
    ),
    'bun run cli claim winter-challenge-2025 complete-tutorial --user alice',
  ).action((challengeId: string, goalId: string, options: ApiOptions) =>
    run(
      options,
      (api) =>
        api.POST('/v1/challenges/{challengeId}/goals/{goalId}/claim', {
          params: { path: { challengeId, goalId } },
        }),
      (answer) => formatClaim(expectBody(answer, ['reward', 'claimedAt'])),
    ),
  );

  example(
    withApiOptions(
      program
        .command('rotation')
        .argument('<challengeId>', 'challenge id')
        .description("Show a challenge's rotation schedule: the current period and the next"),
    ),
    'CHALLENGE_CONFIG_PATH=config/challenges.rotation.json bun start   # a configuration with rotation',
    'bun run cli rotation daily-bounties --user alice',
  ).action((challengeId: string, options: ApiOptions) =>
    run(
      options,
      (api) => api.GET('/v1/challenges/{challengeId}/rotation', { params: { path: { challengeId } } }),
      (answer) => formatRotation(expectBody(answer, ['challengeId', 'rotation'])),
    ),
  );

  example(
    withApiOptions(
      program
        .command('history')
        .argument('<challengeId>', 'challenge id')
        .argument('<goalId>', 'goal id')
        .description(
          "The user's history of one goal, newest first: what each event did, or why it did not count",
        ),
    ).option('--limit <n>', 'most entries to show (1-1000, default 50)'),
    'bun run cli history winter-challenge-2025 kill-10-snowmen --user alice',
  ).action((challengeId: string, goalId: string, options: ApiOptions & { limit?: string }) =>
    run(
      options,
      (api) =>
        api.GET('/v1/challenges/{challengeId}/goals/{goalId}/history', {
          params: { path: { challengeId, goalId }, query: { limit: options.limit } },
        }),
      (answer) => formatEntries(expectBody(answer, ['entries']).entries),
    ),
  );

  example(
    withConnectionOptions(
      program
        .command('health')
        .description('Check GET /healthz: prints healthy (exit 0) or unhealthy (exit 1)'),
    ),
    'bun run cli health --url http://localhost:8000',
  ).action((options: ConnectionOptions) => health(options));
}

async function health(options: ConnectionOptions): Promise<void> {
  const client = await clientFor(options, false);
  const response = await answerOf(client.send((api) => api.GET('/healthz')));
  if (response === undefined) return;
  const healthy = response.status >= 200 && response.status < 300;
  if (options.json) printRaw(response);
  else if (healthy) console.log('healthy');
  else {
    const body = response.json;
    const message =
      typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string'
        ? body.message
        : response.text.slice(0, 200);
    console.log(`unhealthy (HTTP ${response.status})${message ? `: ${message}` : ''}`);
  }
  if (!healthy) process.exitCode = EXIT.FAILED;
}
