/**
 * `bun run cli <command>` (and `challenge-service cli <command>` in the compiled binary): tools for
 * people and scripts.
 */
import { Command } from 'commander';
import { adminPermissions, mintDevToken } from '../auth/index.ts';
import { registerAdminCommands } from './admin-commands.ts';
import { registerApiCommands } from './api-commands.ts';
import { DEFAULT_ADMIN_ID, defaultNamespace, devSecretOrFail } from './dev-token.ts';
import { registerEventCommands } from './event-command.ts';
import { fail } from './fail.ts';
import { EXIT, EXIT_CODES_HELP } from './output.ts';
import { registerWatchCommand } from './watch-command.ts';

/** Parses `argv` (node-style: runtime, script, then the arguments) and runs the command. */
export async function runCli(argv: readonly string[]): Promise<void> {
  await buildProgram().parseAsync([...argv]);
}

function buildProgram(): Command {
  const program = new Command()
    .name('challenge-cli')
    .description('Command-line tools for the challenge service')
    .showHelpAfterError()
    // Usage errors (unknown option, missing argument) exit 2, not commander's 1: exit 1 means "failed".
    // Set before adding commands so every subcommand inherits it.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? EXIT.OK : EXIT.USAGE))
    .addHelpText('after', EXIT_CODES_HELP);

  program
    .command('token')
    .description('Mint a dev-mode token (AUTH_MODE=dev) for a user id and print it')
    .option(
      '-u, --user <userId>',
      `user id to put in the token (sub claim); with --admin default ${DEFAULT_ADMIN_ID}`,
    )
    .option('--admin', "an admin token: carries every action on the namespace's admin permission")
    .option('-n, --namespace <namespace>', 'namespace claim (default: AB_NAMESPACE or accelbyte)')
    .option('-e, --expires-in <seconds>', 'lifetime in seconds', '86400')
    .addHelpText(
      'after',
      '\nExamples:\n  $ TOKEN=$(bun run --silent cli token --user alice)\n  $ ADMIN_TOKEN=$(bun run --silent cli token --admin --user support-bob)',
    )
    .action(async (options: { user?: string; admin?: boolean; namespace?: string; expiresIn: string }) => {
      if (options.user === undefined && !options.admin) fail('pass --user <userId> (or --admin)');
      const secret = devSecretOrFail();
      const expiresInSeconds = Number(options.expiresIn);
      if (!Number.isInteger(expiresInSeconds) || expiresInSeconds <= 0)
        fail('--expires-in must be a positive integer');
      const namespace = options.namespace ?? defaultNamespace();
      const token = await mintDevToken({
        secret,
        userId: options.user ?? DEFAULT_ADMIN_ID,
        namespace,
        expiresInSeconds,
        ...(options.admin ? { permissions: adminPermissions(namespace) } : {}),
      });
      console.log(token);
    });

  registerApiCommands(program);
  registerAdminCommands(program);
  registerEventCommands(program);
  registerWatchCommand(program);
  return program;
}

if (import.meta.main) await runCli(process.argv);
