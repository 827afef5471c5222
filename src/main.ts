/**
 * `bun start`: reads the environment, starts the service, prints where everything is, and shuts
 * down in order on SIGTERM/SIGINT (exit 0 when everything closed within SHUTDOWN_TIMEOUT_MS).
 */
import { ConfigError } from './config/challenge-config.ts';
import { EnvironmentError, readServiceConfig, type ServiceConfig } from './config/service-config.ts';
import { isClosedSocketWrite } from './db/driver-bugs.ts';
import { createLogger, type Logger } from './log.ts';
import { type RunningService, startService } from './service.ts';

async function main(): Promise<void> {
  let config: ServiceConfig;
  try {
    config = readServiceConfig(process.env);
  } catch (error) {
    return exitWithConfigError(error);
  }
  const logger = createLogger(config.logLevel);
  let service: RunningService;
  try {
    service = await startService(config, logger, {
      // A dead event worker must take the process down: the platform then redelivers what was not acknowledged.
      onFatal: () => process.exit(1),
    });
  } catch (error) {
    if (error instanceof ConfigError) return exitWithConfigError(error);
    logger.fatal({ err: error }, 'service failed to start');
    // The JSON log line buries the reason in a stack trace; say it plainly on stderr as well.
    console.error(
      `Challenge service failed to start: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  }
  handleDriverFaults(service, logger);
  printBanner(config, service);
  logger.info({ http: service.httpUrl, database: service.databaseSource }, 'service started');
  handleSignals(service, config, logger);
}

/**
 * postgres.js throws one known error from a timer when the database drops mid-transaction
 * (src/db/driver-bugs.ts): the request already failed cleanly, so recover by replacing the pool.
 * Anything else uncaught is a bug: log it and exit non-zero so a supervisor restarts the process.
 */
function handleDriverFaults(service: RunningService, logger: Logger): void {
  process.on('uncaughtException', (error) => {
    if (isClosedSocketWrite(error)) {
      logger.warn('database connection lost mid-transaction; replacing the API connection pool');
      void service.recyclePool();
      return;
    }
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
}

function handleSignals(service: RunningService, config: ServiceConfig, logger: Logger): void {
  let signalled = false;
  const shutdown = async (signal: string) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown did not finish in time');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    try {
      await service.stop();
      clearTimeout(deadline);
      logger.info('shutdown complete');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // SIGHUP applies the configuration file as it is now; a bad file is reported and changes nothing.
  process.on('SIGHUP', () => {
    service.reloadConfigFile().then(
      ({ changed, version }) =>
        logger.info(
          { version, path: config.challengeConfigPath },
          changed
            ? 'SIGHUP: challenge configuration applied from the file'
            : 'SIGHUP: the file holds the configuration in force',
        ),
      (error: unknown) =>
        logger.error(
          { err: error, path: config.challengeConfigPath },
          `SIGHUP: configuration not applied, the one in force stays: ${error instanceof Error ? error.message : String(error)}`,
        ),
    );
  });
}

function printBanner(config: ServiceConfig, service: RunningService): void {
  const base = service.httpUrl;
  const lines = [
    '',
    `Challenge service is ready (${service.catalog().challenges.length} challenges from ${config.challengeConfigPath})`,
    `  API       ${base}/v1/challenges`,
    `  Swagger   ${base}/swagger`,
    `  Metrics   ${base}/metrics`,
    `  Health    ${base}/healthz`,
    `  gRPC      localhost:${service.grpcPort} (platform events: login, statistic)`,
    `  Database  ${service.databaseSource}`,
    `  Auth      ${service.authDescription}`,
    `  Rewards   ${config.rewards.mode}`,
  ];
  if (config.auth.mode === 'dev') {
    lines.push(
      '',
      '  Get a token:   bun run cli token --user alice',
      `  Then:          curl -H "Authorization: Bearer $(bun run --silent cli token --user alice)" ${base}/v1/challenges`,
    );
  }
  if (config.auth.mode === 'mock') {
    lines.push('', `  Mock auth:     curl -H "x-mock-user-id: alice" ${base}/v1/challenges`);
  }
  console.log(`${lines.join('\n')}\n`);
}

function exitWithConfigError(error: unknown): never {
  const message =
    error instanceof ConfigError || error instanceof EnvironmentError ? error.message : String(error);
  console.error(`Configuration error: ${message}`);
  process.exit(1);
}

const USAGE = `Usage:
  challenge-service              start the service, configured by environment variables
  challenge-service cli <command> the command-line tools (token, challenges, claim, select, event, …);
                                 "challenge-service cli --help" lists them
  challenge-service --help       this text

Main variables (README.md lists every one):
  DATABASE_URL           PostgreSQL URL (unset: embedded PostgreSQL, not in the compiled binary)
  HTTP_PORT, GRPC_PORT   REST API (8000) and platform event port (6565)
  CHALLENGE_CONFIG_PATH  challenge configuration (config/challenges.json)
  AUTH_MODE              dev (default), jwks or mock
  REWARD_MODE            mock (default), ags or webhook
  DATA_DIR               dev JWT secret and embedded database (.data); the CLI reads the same one
  LOG_LEVEL              info (default), debug, …`;

// One entry for everything, so the compiled binary also carries the CLI.
const [command, ...rest] = process.argv.slice(2);
if (command === undefined) await main();
else if (command === 'cli') {
  const { runCli } = await import('./cli/main.ts');
  await runCli([process.argv[0] ?? 'bun', 'challenge-service cli', ...rest]);
} else if (command === '--help' || command === '-h' || command === 'help') console.log(USAGE);
else {
  console.error(`error: unknown command '${command}'\n\n${USAGE}`);
  process.exit(2);
}
