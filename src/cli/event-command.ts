/**
 * `event login` and `event stat`: send platform events to the gRPC port, for trying the service,
 * end-to-end tests and quick load checks. Prints one summary line; exits 1 if any event failed.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createEventClient, type EventClient } from '../events/event-client.ts';
import { fail } from './fail.ts';
import { EXIT } from './output.ts';
import { printable } from './printable.ts';
import { formatSummary, sendEvents } from './send-events.ts';

interface CommonOptions {
  target: string;
  user: string;
  namespace: string;
  id?: string;
  count: string;
  concurrency: string;
  rate?: string;
  deadlineMs: string;
  token?: string;
  tls?: boolean;
  ca?: string;
  tlsServerName?: string;
}

interface StatOptions extends CommonOptions {
  stat: string;
  value: string;
  inc: string;
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) fail(`${name} must be a positive integer, got '${text}'`);
  return value;
}

function positiveNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) fail(`${name} must be a positive number, got '${text}'`);
  return value;
}

/** With --count > 1 a given --id gets a `-<n>` suffix (1-based) so every event stays distinct. */
function eventIdFor(options: CommonOptions, count: number, n: number): string {
  if (options.id === undefined) return crypto.randomUUID();
  return count === 1 ? options.id : `${options.id}-${n + 1}`;
}

async function run(options: CommonOptions, send: (client: EventClient, id: string) => Promise<void>) {
  const count = positiveInteger('--count', options.count);
  const concurrency = positiveInteger('--concurrency', options.concurrency);
  const rate = options.rate === undefined ? undefined : positiveNumber('--rate', options.rate);
  const deadlineMs = positiveInteger('--deadline-ms', options.deadlineMs);
  const client = createEventClient(options.target, {
    deadlineMs,
    authToken: options.token ?? process.env['GRPC_AUTH_TOKEN'],
    tls:
      options.tls || options.ca || options.tlsServerName
        ? { rootCerts: options.ca && readCa(options.ca), serverName: options.tlsServerName }
        : undefined,
  });
  try {
    const summary = await sendEvents({ count, concurrency, ...(rate === undefined ? {} : { rate }) }, (n) =>
      send(client, eventIdFor(options, count, n)),
    );
    console.log(formatSummary(summary));
    for (const [status, message] of summary.firstErrorByStatus)
      console.error(printable(`${status}: ${message}`));
    if (summary.sent > 0 && summary.unreachable === summary.sent) {
      console.error(
        `error: no event reached ${options.target}: is the service running, and is --target its GRPC_PORT?`,
      );
      process.exitCode = EXIT.UNREACHABLE;
    } else if (summary.ok < summary.sent) process.exitCode = EXIT.FAILED;
  } finally {
    client.close();
  }
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    return fail(`--ca: cannot read ${path}: ${String(error)}`);
  }
}

function withCommonOptions(command: Command): Command {
  return (
    command
      .requiredOption('-u, --user <userId>', 'user id of the event')
      .option('-t, --target <host:port>', 'gRPC address', `localhost:${process.env['GRPC_PORT'] ?? '6565'}`)
      .option('-n, --namespace <namespace>', 'event namespace', process.env['AB_NAMESPACE'] ?? 'accelbyte')
      .option('--id <eventId>', 'event id (with --count > 1, ids get a -<n> suffix; default: random UUIDs)')
      .option('-c, --count <n>', 'number of events to send', '1')
      .option('--concurrency <n>', 'events in flight at once', '1')
      .option('--rate <perSecond>', 'send at most this many events per second')
      .option('--deadline-ms <ms>', 'per-call deadline in milliseconds', '30000')
      // No default: commander would print the token itself in --help.
      .option('--token <token>', 'bearer token the port requires (default: $GRPC_AUTH_TOKEN)')
      .option('--tls', 'connect with TLS, trusting the system roots')
      .option(
        '--ca <pemFile>',
        'connect with TLS, trusting this certificate (e.g. a self-signed GRPC_TLS_CERT_FILE)',
      )
      .option(
        '--tls-server-name <name>',
        "with TLS: the name the port's certificate carries, when --target is an address",
      )
  );
}

export function registerEventCommands(program: Command): void {
  const event = program.command('event').description('Send platform events to the gRPC port');

  event.addHelpText('after', '\nExample:\n  $ bun run cli event login --user alice --count 3');

  withCommonOptions(event.command('login').description('Send UserLoggedIn events'))
    .addHelpText(
      'after',
      '\nExample:\n  $ bun run cli event login --user alice --count 1000 --concurrency 20 --rate 200',
    )
    .action((options: CommonOptions) =>
      run(options, (client, id) =>
        client.sendLogin({ id, userId: options.user, namespace: options.namespace }),
      ),
    );

  withCommonOptions(event.command('stat').description('Send StatItemUpdated events'))
    .requiredOption('-s, --stat <statCode>', 'statistic code')
    .requiredOption('--value <number>', 'the statistic value after the update (latestValue)')
    .option(
      '--inc <number>',
      'how much this update added (inc); relative goals count it on their first event',
      '0',
    )
    .addHelpText('after', '\nExample:\n  $ bun run cli event stat --user alice --stat enemy_kills --value 10')
    .action((options: StatOptions) => {
      const value = Number(options.value);
      if (options.value.trim() === '' || !Number.isFinite(value))
        fail(`--value must be a number, got '${options.value}'`);
      const inc = Number(options.inc);
      if (options.inc.trim() === '' || !Number.isFinite(inc))
        fail(`--inc must be a number, got '${options.inc}'`);
      return run(options, (client, id) =>
        client.sendStat({
          id,
          userId: options.user,
          namespace: options.namespace,
          statCode: options.stat,
          value,
          inc,
        }),
      );
    });
}
