/** `admin config …`: the live configuration (show the one in force, validate or apply a file). */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { MethodResponse } from 'openapi-fetch';
import { type AdminOptions, runAsAdmin, withAdminOptions } from './admin-client.ts';
import type { Api } from './api-client.ts';
import { example } from './api-commands.ts';
import { fail } from './fail.ts';
import { expectBody } from './output.ts';

type Diff = MethodResponse<Api, 'put', '/v1/admin/config'>['diff'];
/** The request body the document lists: any JSON object. */
type ConfigDocument = Record<string, unknown>;

/**
 * The file's JSON, read here so a missing or broken file is a usage error, not a 400 from the
 * service. It is sent as it is, object or not, for the service's configuration rules to judge.
 */
function readDocument(path: string): ConfigDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return fail(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text) as ConfigDocument;
  } catch (error) {
    return fail(`${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const list = (label: string, ids: readonly string[]) =>
  ids.length === 0 ? [] : [`${label}: ${ids.join(', ')}`];

function formatDiff(diff: Diff): string[] {
  const lines = [
    ...list('challenges added', diff.challengesAdded),
    ...list('challenges removed', diff.challengesRemoved),
    ...list('goals added', diff.goalsAdded),
    ...list('goals removed', diff.goalsRemoved),
    ...diff.goalsChanged.map(
      (change) =>
        `goal changed: ${change.goalId} (${change.fields.join(', ')})${change.retargeted ? ', retargeted' : ''}`,
    ),
  ];
  return lines.length === 0 ? ['no change to the rules'] : lines;
}

export function registerConfigCommands(admin: Command): void {
  const config = admin
    .command('config')
    .description('The challenge configuration in force, live (no restart)');

  example(
    withAdminOptions(
      config.command('show').description('The configuration in force: version, source, history'),
    ),
    'bun run cli admin config show',
  ).action((options: AdminOptions) =>
    runAsAdmin(
      options,
      (api) => api.GET('/v1/admin/config'),
      (answer) => {
        const body = expectBody(answer, ['version', 'history']);
        return [
          `version ${body.version} (${body.source}, ${body.appliedBy}, ${body.appliedAt})`,
          'history:',
          ...body.history.map(
            (head) => `  ${head.version}  ${head.appliedAt}  ${head.source}  ${head.appliedBy}`,
          ),
        ].join('\n');
      },
    ),
  );

  example(
    withAdminOptions(
      config
        .command('validate')
        .argument('<file>', 'a challenge configuration (JSON)')
        .description('What applying the file would change, and the players it touches; changes nothing'),
    ),
    'bun run cli admin config validate config/challenges.json',
  ).action((file: string, options: AdminOptions) => {
    const document = readDocument(file);
    return runAsAdmin(
      options,
      (api) => api.POST('/v1/admin/config/validate', { body: document }),
      (answer) => {
        const body = expectBody(answer, ['valid']);
        if (!body.valid)
          return (body.errors ?? [])
            .map((error) => `invalid: ${error.path || '(document)'}: ${error.message}`)
            .join('\n');
        const impact = [...(body.impact?.removed ?? []), ...(body.impact?.retargeted ?? [])].map(
          (goal) =>
            `  ${goal.goalId}: ${goal.players} players with rows, ${goal.inProgress} in progress, ${goal.completedUnclaimed} completed and not claimed`,
        );
        return [
          `valid, version ${body.version}${body.unchanged ? ' (the rules in force)' : ''}`,
          ...(body.diff ? formatDiff(body.diff) : []),
          ...(impact.length > 0 ? ['players of removed or retargeted goals:', ...impact] : []),
        ].join('\n');
      },
    );
  });

  example(
    withAdminOptions(
      config
        .command('apply')
        .argument('<file>', 'a challenge configuration (JSON)')
        .description('Apply the file at every replica within seconds, with no restart'),
    ),
    'bun run cli admin config apply config/challenges.json',
  ).action((file: string, options: AdminOptions) => {
    const document = readDocument(file);
    return runAsAdmin(
      options,
      (api) => api.PUT('/v1/admin/config', { body: document }),
      (answer) => {
        const body = expectBody(answer, ['version', 'diff']);
        return [
          `applied version ${body.version} (${body.appliedBy}, ${body.appliedAt})`,
          ...formatDiff(body.diff),
        ].join('\n');
      },
    );
  });
}
