/** `admin …`: the admin API for one player, and `admin config …`; see admin-client.ts for the credential. */
import type { Command } from 'commander';
import { type AdminOptions, runAsAdmin, withAdminOptions } from './admin-client.ts';
import { formatAdminChallenges, formatGoalChange, type GoalChangeBody } from './admin-output.ts';
import type { ApiAnswer } from './api-client.ts';
import { example } from './api-commands.ts';
import { formatEntries } from './audit-output.ts';
import { registerConfigCommands } from './config-commands.ts';
import { fail } from './fail.ts';
import { registerOutboxCommands } from './outbox-commands.ts';
import { expectBody, formatClaim } from './output.ts';

const renderChange = (answer: ApiAnswer<GoalChangeBody>) =>
  formatGoalChange(expectBody(answer, ['action', 'effect']));

export function registerAdminCommands(program: Command): void {
  const admin = program
    .command('admin')
    .description("Admin API: look at and fix one player's progress (needs the admin permission)");
  registerConfigCommands(admin);
  registerOutboxCommands(admin);

  example(
    withAdminOptions(
      admin
        .command('challenges')
        .argument('<userId>', 'the player')
        .description("The player's goals as they see them, with each stored row (baseline, marker, updated)"),
    ),
    'bun run cli admin challenges alice',
  ).action((userId: string, options: AdminOptions) =>
    runAsAdmin(
      options,
      (api) => api.GET('/v1/admin/users/{userId}/challenges', { params: { path: { userId } } }),
      (answer) => formatAdminChallenges(expectBody(answer, ['challenges'])),
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
    const query = { goalId: options.goal, limit: options.limit };
    return runAsAdmin(
      options,
      (api) => api.GET('/v1/admin/users/{userId}/events', { params: { path: { userId }, query } }),
      (answer) => formatEntries(expectBody(answer, ['entries']).entries),
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
    return runAsAdmin(
      options,
      (api) =>
        api.PUT('/v1/admin/users/{userId}/goals/{goalId}/progress', {
          params: { path: { userId, goalId } },
          body: { progress: value },
        }),
      renderChange,
    );
  });

  for (const [name, path, description] of [
    [
      'reset',
      '/v1/admin/users/{userId}/goals/{goalId}/reset',
      'Reset a goal to not_started; a claimed goal can then be earned and claimed once more',
    ],
    [
      'complete',
      '/v1/admin/users/{userId}/goals/{goalId}/complete',
      'Force-complete a goal (progress raised to the target)',
    ],
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
      runAsAdmin(options, (api) => api.POST(path, { params: { path: { userId, goalId } } }), renderChange),
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
    runAsAdmin(
      options,
      (api) =>
        api.POST('/v1/admin/users/{userId}/goals/{goalId}/claim', { params: { path: { userId, goalId } } }),
      (answer) => formatClaim(expectBody(answer, ['reward', 'claimedAt'])),
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
    runAsAdmin(
      options,
      (api) => api.DELETE('/v1/admin/users/{userId}', { params: { path: { userId } } }),
      (answer) => `rowsDeleted: ${expectBody(answer, ['rowsDeleted']).rowsDeleted}`,
    ),
  );
}
