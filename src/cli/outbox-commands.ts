/** `admin outbox …`: notifications the webhook never accepted (parked), and sending one again. */
import type { Command } from 'commander';
import type { MethodResponse } from 'openapi-fetch';
import { type AdminOptions, runAsAdmin, withAdminOptions } from './admin-client.ts';
import type { Api } from './api-client.ts';
import { example } from './api-commands.ts';
import { expectBody } from './output.ts';
import { renderTable } from './table.ts';

type Message = MethodResponse<Api, 'get', '/v1/admin/outbox/parked'>['messages'][number];

function formatParked(messages: readonly Message[]): string {
  if (messages.length === 0) return 'no parked messages';
  return renderTable(
    ['ID', 'PARKED', 'ATTEMPTS', 'TYPE', 'USER', 'GOAL', 'LAST ERROR'],
    messages.map((message) => [
      message.id,
      message.parkedAt,
      String(message.attempts),
      message.type,
      message.userId,
      message.goalId,
      message.lastError,
    ]),
  );
}

export function registerOutboxCommands(admin: Command): void {
  const outbox = admin
    .command('outbox')
    .description('Webhook notifications (NOTIFY_WEBHOOK_URL): parked messages and their redelivery');

  example(
    withAdminOptions(
      outbox
        .command('parked')
        .description('Messages parked after their last failed attempt, oldest first, with the last error'),
    )
      .option('--after <id>', 'only messages after this id (the last id of the previous page)')
      .option('--limit <n>', 'most messages to show (1-1000, default 50)'),
    'bun run cli admin outbox parked --limit 20',
  ).action((options: AdminOptions & { after?: string; limit?: string }) => {
    const query = { after: options.after, limit: options.limit };
    return runAsAdmin(
      options,
      (api) => api.GET('/v1/admin/outbox/parked', { params: { query } }),
      (answer) => formatParked(expectBody(answer, ['messages']).messages),
    );
  });

  example(
    withAdminOptions(
      outbox
        .command('redeliver')
        .argument('<id>', 'the message id, as "admin outbox parked" lists it')
        .description('Send a parked message again now, with the same id (it arrives after later ones)'),
    ),
    'bun run cli admin outbox redeliver 4711',
  ).action((id: string, options: AdminOptions) =>
    runAsAdmin(
      options,
      (api) => api.POST('/v1/admin/outbox/{id}/redeliver', { params: { path: { id } } }),
      (answer) => {
        const { redelivered, message } = expectBody(answer, ['redelivered', 'message']);
        return redelivered
          ? `message ${message.id} (${message.type} ${message.goalId} for ${message.userId}) is due for delivery again`
          : `message ${message.id} is not parked (${message.state}); nothing changed`;
      },
    ),
  );
}
