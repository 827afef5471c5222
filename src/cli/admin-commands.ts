/**
 * `admin …`: the admin API for one player. Each command authenticates as an admin: with `--token`
 * (jwks mode: a token with the admin permission), `--mock-admin` (mock mode), or else a dev admin
 * token minted here for `--as` (dev mode, with DEV_JWT_SECRET or the secret `bun start` generated).
 */
import type { Command } from 'commander';
import { readDevSecret } from '../dev-secret.ts';
import {
  type AdminChallengesBody,
  formatAdminChallenges,
  formatGoalChange,
  type GoalChangeBody,
} from './admin-output.ts';
import { type ApiClient, type ApiResponse, createApiClient, segment } from './api-client.ts';
import {
  type ConnectionOptions,
  connectionOf,
  example,
  runWith,
  withConnectionOptions,
} from './api-commands.ts';
import { type AdminEventsBody, formatEntries } from './audit-output.ts';
import { DEFAULT_ADMIN_ID, mintCliToken } from './dev-token.ts';
import { fail } from './fail.ts';
import { type ClaimBody, expectBody, formatClaim } from './output.ts';

interface AdminOptions extends ConnectionOptions {
  as: string;
  token?: string;
  mockAdmin?: string;
}

function withAdminOptions(command: Command): Command {
  return withConnectionOptions(command)
    .option('--as <adminId>', 'dev mode: the admin the minted token names (audited)', DEFAULT_ADMIN_ID)
    .option('--token <jwt>', 'bearer token with the admin permission (e.g. from: bun run cli token --admin)')
    .option('--mock-admin <adminId>', 'send x-mock-admin-id (AUTH_MODE=mock services)');
}

async function adminClient(options: AdminOptions): Promise<ApiClient> {
  const { baseUrl, timeoutMs } = connectionOf(options);
  if (options.token !== undefined && options.mockAdmin !== undefined)
    fail('pass either --token or --mock-admin, not both');
  if (options.mockAdmin !== undefined)
    return createApiClient({ baseUrl, auth: { mockAdmin: options.mockAdmin }, timeoutMs });
  if (options.token !== undefined)
    return createApiClient({ baseUrl, auth: { token: options.token }, timeoutMs });
  const dataDir = process.env['DATA_DIR'] ?? '.data';
  if (!readDevSecret(dataDir, process.env['DEV_JWT_SECRET']))
    fail(
      `no admin credential: pass --token <jwt> or --mock-admin <id>, or set DEV_JWT_SECRET (or start the service once so it creates ${dataDir}/dev-jwt-secret) to mint a dev admin token`,
    );
  const token = await mintCliToken(options.as, { admin: true });
  return createApiClient({ baseUrl, auth: { token }, timeoutMs });
}

const run = async (
  options: AdminOptions,
  call: (client: ApiClient) => Promise<ApiResponse>,
  render: (response: ApiResponse) => string,
) => runWith(options, await adminClient(options), call, render);

const userPath = (userId: string) => `/v1/admin/users/${segment(userId)}`;
const goalPath = (userId: string, goalId: string, what: string) =>
  `${userPath(userId)}/goals/${segment(goalId)}/${what}`;
const renderChange = (response: ApiResponse) =>
  formatGoalChange(expectBody<GoalChangeBody>(response, ['action', 'effect']));

export function registerAdminCommands(program: Command): void {
  const admin = program
    .command('admin')
    .description("Admin API: look at and fix one player's progress (needs the admin permission)");

  example(
    withAdminOptions(
      admin
        .command('challenges')
        .argument('<userId>', 'the player')
        .description("The player's goals as they see them, with each stored row (baseline, marker, updated)"),
    ),
    'bun run cli admin challenges alice',
  ).action((userId: string, options: AdminOptions) =>
    run(
      options,
      (client) => client.request('GET', `${userPath(userId)}/challenges`),
      (response) => formatAdminChallenges(expectBody<AdminChallengesBody>(response, ['challenges'])),
    ),
  );

  example(
    withAdminOptions(
      admin
        .command('events')
        .argument('<userId>', 'the player')
        .description("The player's audit trail, newest first: what each event did, and admins' changes"),
    )
      .option('--goal <goalId>', 'only entries about this goal')
      .option('--limit <n>', 'most entries to show (1-1000, default 50)'),
    'bun run cli admin events alice --goal kill-10-snowmen --limit 20',
  ).action((userId: string, options: AdminOptions & { goal?: string; limit?: string }) => {
    const query = new URLSearchParams();
    if (options.goal !== undefined) query.set('goalId', options.goal);
    if (options.limit !== undefined) query.set('limit', options.limit);
    const suffix = query.size > 0 ? `?${query}` : '';
    return run(
      options,
      (client) => client.request('GET', `${userPath(userId)}/events${suffix}`),
      (response) => formatEntries(expectBody<AdminEventsBody>(response, ['entries']).entries),
    );
  });

  example(
    withAdminOptions(
      admin
        .command('set-progress')
        .argument('<userId>', 'the player')
        .argument('<goalId>', 'the goal')
        .argument('<progress>', 'what counts towards the target, a whole number')
        .description('Set a goal\'s progress; the status follows (a claimed goal needs "admin reset" first)'),
    ),
    'bun run cli admin set-progress alice kill-10-snowmen 10',
  ).action((userId: string, goalId: string, progress: string, options: AdminOptions) => {
    const value = Number(progress);
    if (progress.trim() === '' || !Number.isInteger(value))
      fail(`<progress> must be a whole number, got '${progress}'`);
    return run(
      options,
      (client) => client.request('PUT', goalPath(userId, goalId, 'progress'), { progress: value }),
      renderChange,
    );
  });

  for (const [name, description] of [
    ['reset', 'Reset a goal to not_started; a claimed goal can then be earned and claimed once more'],
    ['complete', 'Force-complete a goal (progress raised to the target)'],
  ] as const) {
    example(
      withAdminOptions(
        admin
          .command(name)
          .argument('<userId>', 'the player')
          .argument('<goalId>', 'the goal')
          .description(description),
      ),
      `bun run cli admin ${name} alice complete-tutorial`,
    ).action((userId: string, goalId: string, options: AdminOptions) =>
      run(options, (client) => client.request('POST', goalPath(userId, goalId, name)), renderChange),
    );
  }

  example(
    withAdminOptions(
      admin
        .command('claim')
        .argument('<userId>', 'the player')
        .argument('<goalId>', 'the goal')
        .description("Claim a completed goal's reward on the player's behalf (the player's own claim rules)"),
    ),
    'bun run cli admin claim alice complete-tutorial',
  ).action((userId: string, goalId: string, options: AdminOptions) =>
    run(
      options,
      (client) => client.request('POST', goalPath(userId, goalId, 'claim')),
      (response) => formatClaim(expectBody<ClaimBody>(response, ['reward', 'claimedAt'])),
    ),
  );

  example(
    withAdminOptions(
      admin
        .command('erase')
        .argument('<userId>', 'the player')
        .description('Erase everything stored for the player: progress, claims, audit trail'),
    ),
    'bun run cli admin erase alice',
  ).action((userId: string, options: AdminOptions) =>
    run(
      options,
      (client) => client.request('DELETE', userPath(userId)),
      (response) =>
        `rowsDeleted: ${expectBody<{ rowsDeleted: string }>(response, ['rowsDeleted']).rowsDeleted}`,
    ),
  );
}
