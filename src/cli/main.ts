/** `bun run cli <command>`: tools for people and scripts. */
import { Command } from 'commander';
import { mintDevToken } from '../auth/index.ts';
import { readDevSecret } from '../dev-secret.ts';
import { registerEventCommands } from './event-command.ts';
import { fail } from './fail.ts';

const program = new Command()
  .name('challenge-cli')
  .description('Command-line tools for the challenge service')
  .showHelpAfterError();

program
  .command('token')
  .description('Mint a dev-mode token (AUTH_MODE=dev) for a user id and print it')
  .requiredOption('-u, --user <userId>', 'user id to put in the token (sub claim)')
  .option('-n, --namespace <namespace>', 'namespace claim (default: AB_NAMESPACE or accelbyte)')
  .option('-e, --expires-in <seconds>', 'lifetime in seconds', '86400')
  .action(async (options: { user: string; namespace?: string; expiresIn: string }) => {
    const dataDir = process.env['DATA_DIR'] ?? '.data';
    const secret = readDevSecret(dataDir, process.env['DEV_JWT_SECRET']);
    if (!secret) {
      fail(
        `no dev secret found: set DEV_JWT_SECRET, or start the service once (bun start) so it creates ${dataDir}/dev-jwt-secret`,
      );
    }
    const expiresInSeconds = Number(options.expiresIn);
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds <= 0)
      fail('--expires-in must be a positive integer');
    const token = await mintDevToken({
      secret,
      userId: options.user,
      namespace: options.namespace ?? process.env['AB_NAMESPACE'] ?? 'accelbyte',
      expiresInSeconds,
    });
    console.log(token);
  });

registerEventCommands(program);

await program.parseAsync(process.argv);
