/**
 * Composition root: builds every dependency explicitly, in order, and owns the shutdown order.
 * main.ts adds process concerns (environment, signals, banner); tests start it in-process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Authenticate, createAdminAuthorizer, createAuthenticator } from './auth/index.ts';
import { countChangeNotices } from './change-notice-counter.ts';
import { epochClock } from './clock.ts';
import type { ServiceConfig } from './config/service-config.ts';
import { type ChangeNotices, createChangeNotices } from './db/change-notices.ts';
import { type Pool, warmUp } from './db/client.ts';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from './db/embedded-postgres.ts';
import { createDatabaseCheck } from './db/health-check.ts';
import { migrate } from './db/migrate.ts';
import { MIGRATIONS } from './db/migrations.ts';
import { oldestUndeliveredAgeSeconds } from './db/outbox-delivery.ts';
import { createRecyclablePool } from './db/recyclable-pool.ts';
import { loadOrCreateDevSecret } from './dev-secret.ts';
import type { Catalog } from './domain/catalog.ts';
import { createApp } from './http/app.ts';
import { MAX_ACCEPTED_BODY_BYTES } from './http/request-body.ts';
import { socketIdleTimeoutSeconds } from './http/socket-idle-timeout.ts';
import { createConfigAdmin } from './live-config/config-admin.ts';
import { createConfigCatalogs } from './live-config/config-catalogs.ts';
import {
  readConfigFile,
  reloadConfigFile,
  resolveStartupConfig,
  startConfigSync,
} from './live-config/config-sync.ts';
import { createLiveCatalog, type LiveCatalog } from './live-config/live-catalog.ts';
import type { Logger } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { startDeliverySetting } from './outbox/delivery-setting.ts';
import { createOutboxAdmin } from './outbox/outbox-admin.ts';
import { startOutboxRetention } from './outbox/outbox-retention.ts';
import { startWebhookDelivery, type WebhookDelivery } from './outbox/webhook-delivery.ts';
import { createWebhookSender } from './outbox/webhook-sender.ts';
import { eventRowRetentionMs, startDedupCleanup } from './pipeline/dedup-cleanup.ts';
import { startEventPipeline } from './pipeline/event-pipeline.ts';
import { startExpiredRowCleanup } from './pipeline/expired-row-cleanup.ts';
import { createRewardGranter } from './rewards/create-granter.ts';
import { parseLatencyRange } from './rewards/mock-granter.ts';
import type { RewardGranter } from './rewards/reward-granter.ts';
import { createAdminPlayers } from './services/admin/admin-players.ts';
import { createAuditTrail } from './services/audit-trail.ts';
import { createChallengeQueries } from './services/challenge-queries.ts';
import { createClaimReward } from './services/claim-reward.ts';
import { createPlayerErasure } from './services/erasure.ts';
import { createGoalAssignment } from './services/goal-assignment.ts';
import { createGoalSelection } from './services/goal-selection.ts';
import { createRotationStatus } from './services/rotation-status.ts';
import { STREAM_MAX_BUFFERED_BYTES } from './stream/stream-body.ts';
import { startStreamThread } from './stream/stream-thread.ts';

/** Webhook delivery's statements are small: one slower than this finds the database in trouble. */
const DELIVERY_STATEMENT_TIMEOUT_MS = 5_000;
/** `/healthz` answers 503 when PostgreSQL has not answered its check within this. */
const HEALTH_CHECK_TIMEOUT_MS = 2_000;

export interface RunningService {
  readonly httpUrl: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly databaseSource: string;
  readonly authDescription: string;
  /** The configuration in force now. */
  readonly catalog: () => Catalog;
  /**
   * Applies the configuration file as it is now (SIGHUP); `changed` false when its rules are the
   * ones in force. @throws ConfigError when the file is not valid (the one in force stays).
   */
  reloadConfigFile(): Promise<{ readonly changed: boolean; readonly version: string }>;
  /**
   * Replaces the API's database pool; main calls it after the postgres.js defect that leaves a
   * connection unusable when the database drops mid-transaction (src/db/driver-bugs.ts).
   */
  recyclePool(): Promise<void>;
  /** Stop accepting, finish in-flight requests, close the pool, stop an embedded database. Idempotent. */
  stop(): Promise<void>;
}

export interface ServiceOverrides {
  /** Replaces the reward backend (tests). */
  readonly granter?: RewardGranter;
  readonly metrics?: Metrics;
  readonly clock?: () => Date;
  /**
   * Tests only: a clock offset shared with the event workers (src/clock.ts `createMovableClock`),
   * so HTTP requests and event flushes see the same moved time; also the HTTP clock unless `clock`
   * is given.
   */
  readonly clockOffset?: SharedArrayBuffer;
  /** Called if an event worker dies; main exits the process so unacknowledged events are redelivered. */
  readonly onFatal?: (error: Error) => void;
}

export async function startService(
  config: ServiceConfig,
  logger: Logger,
  overrides: ServiceOverrides = {},
): Promise<RunningService> {
  const epochNow = epochClock(overrides.clockOffset);
  const clock = overrides.clock ?? (() => new Date(epochNow()));
  const onWarning = (message: string) => logger.warn(message);
  // Validated before anything starts: a bad file fails the start at once, with its path and problem.
  const configFile = readConfigFile(config.challengeConfigPath, { onWarning });
  const metrics = overrides.metrics ?? createMetrics();

  // Everything started so far, stopped in reverse order when a later step fails: a failed start
  // leaves no database, worker or port behind.
  const started: Array<() => Promise<void> | void> = [];
  const undo = async () => {
    for (const stopStarted of started.reverse()) await Promise.resolve(stopStarted()).catch(() => {});
  };
  let running = false;
  let startupFailure: Error | undefined;
  let stopping: Promise<void> | undefined;
  try {
    let embedded: EmbeddedPostgresHandle | undefined;
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const dataDir = join(config.dataDir, 'pg');
      logger.info({ dataDir }, 'DATABASE_URL is not set: starting embedded PostgreSQL');
      const server = await startEmbeddedPostgres({
        dataDir,
        database: 'challenge_service',
        persistent: true,
        // Without its database the service can do nothing but answer 503: it exits, so that a
        // supervisor restarts both, and the log says why.
        onExit: (reason) => {
          // Stopping, the service may see its database go first (a supervisor signals the group).
          if (stopping) return;
          const error = new Error(`the embedded PostgreSQL stopped: ${reason}`);
          if (!running) {
            startupFailure ??= error;
            return;
          }
          logger.fatal({ reason }, 'the embedded PostgreSQL stopped; the service cannot go on');
          overrides.onFatal?.(error);
        },
      });
      embedded = server;
      started.push(() => server.stop());
      databaseUrl = server.url;
    }
    const recyclable = createRecyclablePool({
      url: databaseUrl,
      maxConnections: config.dbPoolMax,
      transactionPooler: config.dbTransactionPooler,
      statementTimeoutMs: config.requestTimeoutMs,
      lockTimeoutMs: Math.ceil(config.requestTimeoutMs / 2),
    });
    const pool = recyclable.pool;
    metrics.addPool('api', recyclable.usage);
    started.push(() => closePool(pool));
    const databaseCheck = createDatabaseCheck({
      url: databaseUrl,
      transactionPooler: config.dbTransactionPooler,
      timeoutMs: HEALTH_CHECK_TIMEOUT_MS,
      onRecovered: () => {
        logger.info('the database answers again; replacing the API connections opened before');
        void recyclable.recycle();
      },
    });
    started.push(() => databaseCheck.close());
    await warmUp(pool);
    const applied = await migrate(pool, MIGRATIONS);
    if (applied.length > 0) logger.info({ applied }, 'database migrations applied');
    const deliverySetting = await startDeliverySetting({
      db: pool,
      webhook: config.notify !== undefined,
      logger,
    });
    started.push(() => deliverySetting.stop());
    const notices: ChangeNotices = createChangeNotices({
      db: () => pool,
      logger,
      onCount: countChangeNotices(metrics.changeNotices),
    });
    started.push(() => notices.stop());
    // A process killed between a commit and its notice leaves listeners elsewhere behind; one that
    // starts has them catch up, whatever the process before it was.
    notices.announceRestart();
    const live: LiveCatalog = createLiveCatalog(await resolveStartupConfig(pool, configFile, logger));
    const currentCatalog = live.current;

    const pipeline = await startEventPipeline({
      databaseUrl,
      challenges: live.inForce().challenges,
      configId: live.inForce().id,
      namespace: config.namespace,
      host: config.grpcHost,
      grpcPort: config.grpcPort,
      grpcAuthToken: config.grpcAuthToken,
      grpcTls: config.grpcTls && readTlsFiles(config.grpcTls),
      shards: config.events.shards,
      maxInFlight: config.events.maxInFlight,
      settings: {
        maxBatch: config.events.maxBatch,
        minWaitMs: config.events.minWaitMs,
        maxBacklog: config.events.maxBacklog,
        maxWaitMs: config.events.maxWaitMs,
        transactionPooler: config.dbTransactionPooler,
        audit: config.audit.enabled,
      },
      logger,
      logLevel: config.logLevel,
      workerFiles: workerFiles(),
      clockOffset: overrides.clockOffset,
      // A worker failing during start-up (a taken GRPC_PORT) fails this start, so the undo list
      // still runs; exiting from onFatal here would leave the embedded database behind.
      onFatal: (error) => {
        if (!running) startupFailure ??= error;
        else (overrides.onFatal ?? ((e) => logger.fatal({ err: e }, 'event pipeline failed')))(error);
      },
    });
    started.push(() => pipeline.stop());
    metrics.addSource(() => pipeline.collectMetrics());
    live.onChange((inForce) => pipeline.applyChallenges(inForce.challenges, inForce.id));
    const configSync = startConfigSync({
      db: pool,
      live,
      intervalMs: config.configPollIntervalMs,
      logger,
    });
    started.push(() => configSync.stop());
    const cleanup = startDedupCleanup({
      db: pool,
      retentionMs: eventRowRetentionMs({
        dedupRetentionHours: config.events.dedupRetentionHours,
        audit: config.audit,
      }),
      intervalMs: 60_000,
      logger,
    });
    started.push(() => cleanup.stop());
    const expiredRows = config.cleanup.enabled
      ? startExpiredRowCleanup({
          db: pool,
          catalog: currentCatalog,
          namespace: config.namespace,
          retentionMs: config.cleanup.retentionDays * 86_400_000,
          intervalMs: config.cleanup.intervalMinutes * 60_000,
          firstRunAfterMs: 60_000,
          batchSize: config.cleanup.batchSize,
          metrics,
          logger,
          clock,
        })
      : undefined;
    started.push(() => expiredRows?.stop());
    const outboxRetention = startOutboxRetention({
      db: pool,
      retentionMs: config.outboxRetentionHours * 3_600_000,
      intervalMs: 10 * 60_000,
      metrics,
      logger,
      clock,
    });
    started.push(() => outboxRetention.stop());
    let notifyPool: Pool | undefined;
    let notifications: WebhookDelivery | undefined;
    if (config.notify) {
      const { notify } = config;
      // Its own pool, so a slow or dead receiver never holds a connection the API or the events need.
      const recyclableOwn = createRecyclablePool({
        url: databaseUrl,
        maxConnections: 3,
        transactionPooler: config.dbTransactionPooler,
        statementTimeoutMs: DELIVERY_STATEMENT_TIMEOUT_MS,
        lockTimeoutMs: 2_000,
        // The outbox grows by a hundred messages per player in an /initialize wave.
        planEachStatement: true,
        // A delivery record lost in a crash only means a message sent again, which at least once
        // allows; not waiting for the disk at each commit leaves it to events and the API.
        asynchronousCommit: true,
      });
      const ownPool = recyclableOwn.pool;
      notifyPool = ownPool;
      started.push(() => closePool(ownPool));
      await warmUp(ownPool);
      const delivery = await startWebhookDelivery({
        pool: ownPool,
        // Past the statement timeout, so that a database that answers reports its own timeout first.
        databaseTimeoutMs: DELIVERY_STATEMENT_TIMEOUT_MS + 1_000,
        recyclePool: () => recyclableOwn.recycle(),
        listen: !config.dbTransactionPooler,
        catalog: currentCatalog,
        send: createWebhookSender({ url: notify.url, secret: notify.secret, timeoutMs: notify.timeoutMs }),
        policy: notify,
        concurrency: notify.concurrency,
        leaseMs: notify.timeoutMs + 5_000,
        pollIntervalMs: notify.pollIntervalMs,
        metrics,
        logger,
      });
      notifications = delivery;
      started.push(() => delivery.stop());
      metrics.setOutboxAge(() => oldestUndeliveredAgeSeconds(ownPool));
    }

    // Behind a transaction pooler a session cannot LISTEN: streams then poll the outbox.
    const streams = startStreamThread({
      workerFile: workerFiles().streams,
      data: {
        logLevel: config.logLevel,
        databaseUrl,
        transactionPooler: config.dbTransactionPooler,
        statementTimeoutMs: config.requestTimeoutMs,
        challenges: live.inForce().challenges,
        feed: config.dbTransactionPooler
          ? { mode: 'poll', intervalMs: config.stream.pollIntervalMs }
          : { mode: 'listen', url: databaseUrl },
        heartbeatMs: config.stream.heartbeatMs,
        maxOpen: config.stream.maxOpen,
        maxPerPlayer: config.stream.maxPerPlayer,
        clockOffset: overrides.clockOffset,
      },
      maxBufferedBytes: STREAM_MAX_BUFFERED_BYTES,
      maxUnreadBytes: config.stream.maxUnreadBytes,
      logger,
      onOpenStreams: (count) => metrics.streamsOpen.set(count),
      onEvents: (type, count) => metrics.streamEvents.inc({ type }, count),
      onCut: (reason) => metrics.streamsCut.inc({ reason }),
    });
    live.onChange(async (inForce) => streams.applyChallenges(inForce.challenges));
    metrics.setStreamUnread(() => streams.unreadBytes());
    metrics.addSource(() => streams.collectMetrics());
    started.push(() => streams.stop());

    const { authenticate, authDescription } = buildAuthenticator(config, logger);
    const authorizeAdmin = createAdminAuthorizer({
      mode: config.auth.mode,
      authenticate,
      namespace: config.namespace,
      onDenied: ({ userId, reason }) =>
        logger.info({ userId, reason }, 'admin request refused: permission denied'),
    });
    const granter = overrides.granter ?? buildGranter(config, metrics);
    const claimReward = createClaimReward({
      pool,
      notices,
      catalog: currentCatalog,
      namespace: config.namespace,
      granter,
      // The lease must outlive the granter's whole retry budget, or a slow grant could be taken over.
      leaseMs: config.rewards.timeoutMs * 2 + 5_000,
      clock,
      onOutcome: (outcome) => metrics.claims.inc({ outcome }),
    });
    const erasure = createPlayerErasure({ db: pool, namespace: config.namespace });
    const auditTrail = createAuditTrail({
      db: pool,
      catalog: currentCatalog,
      catalogOf: createConfigCatalogs({ db: pool, live }),
    });
    const claimTimeoutMs = config.requestTimeoutMs + config.rewards.timeoutMs;
    const app = createApp({
      basePath: config.basePath,
      authenticate,
      queries: createChallengeQueries({
        db: pool,
        catalog: currentCatalog,
        clock,
        maxWaitMs: config.requestTimeoutMs,
      }),
      assignment: createGoalAssignment({
        db: pool,
        notices,
        catalog: currentCatalog,
        namespace: config.namespace,
        clock,
      }),
      selection: createGoalSelection({
        pool,
        notices,
        catalog: currentCatalog,
        namespace: config.namespace,
        clock,
      }),
      claimReward,
      rotation: createRotationStatus({ catalog: currentCatalog, clock }),
      erasure,
      authorizeAdmin,
      gzip: config.httpGzip,
      configAdmin: createConfigAdmin({ db: pool, live, namespace: config.namespace }),
      auditTrail,
      outboxAdmin: createOutboxAdmin({ db: pool, namespace: config.namespace, logger }),
      streams,
      adminPlayers: createAdminPlayers({
        pool,
        notices,
        catalog: currentCatalog,
        namespace: config.namespace,
        clock,
        auditTrail,
        claimReward,
        erasure,
        logger,
      }),
      clock,
      checkDatabase: () => databaseCheck.check(),
      metrics,
      logger,
      requestTimeoutMs: config.requestTimeoutMs,
      claimTimeoutMs,
    });
    // reusePort off: a second instance on a taken port must fail to start, not share the traffic.
    app.listen({
      hostname: config.httpHost,
      port: config.httpPort,
      reusePort: false,
      maxRequestBodySize: MAX_ACCEPTED_BODY_BYTES,
      idleTimeout: socketIdleTimeoutSeconds(config.httpIdleTimeoutSeconds, claimTimeoutMs),
    });
    const server = app.server;
    if (!server) throw new Error(`HTTP server did not start on ${config.httpHost}:${config.httpPort}`);
    const httpPort = server.port ?? config.httpPort;
    if (startupFailure) throw startupFailure;
    running = true;

    const stop = () => {
      stopping ??= (async () => {
        // An open stream would hold the server's graceful stop until its client leaves: end them first.
        await streams.stop();
        await Promise.all([server.stop(false), pipeline.stop(), notifications?.stop()]);
        cleanup.stop();
        configSync.stop();
        deliverySetting.stop();
        expiredRows?.stop();
        outboxRetention.stop();
        await notices.stop();
        if (notifyPool) await closePool(notifyPool);
        await Promise.all([closePool(pool), databaseCheck.close()]);
        await embedded?.stop();
      })();
      return stopping;
    };

    return {
      httpUrl: `http://localhost:${httpPort}${config.basePath}`,
      httpPort,
      grpcPort: pipeline.grpcPort,
      recyclePool: () => recyclable.recycle(),
      databaseSource: embedded
        ? `embedded PostgreSQL (${embedded.dataDir}, ${embedded.url})`
        : 'DATABASE_URL',
      authDescription,
      catalog: currentCatalog,
      reloadConfigFile: async () => {
        const { changed, config: inForce } = await reloadConfigFile(pool, live, config.challengeConfigPath, {
          onWarning,
        });
        return { changed, version: inForce.version };
      },
      stop,
    };
  } catch (error) {
    await undo();
    throw error;
  }
}

/** PEM texts of the event port's certificate and key, read once at start (a missing file stops start-up). */
function readTlsFiles(files: { certFile: string; keyFile: string }): { cert: string; key: string } {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (cause) {
      throw new Error(`cannot read the gRPC TLS ${what} ${path}: ${String(cause)}`, { cause });
    }
  };
  return { cert: read(files.certFile, 'certificate'), key: read(files.keyFile, 'key') };
}

/**
 * Worker entry files: beside src/ when run from source; in a `bun build --compile` binary every
 * module is bundled into the entry at the virtual root, with the worker entries in workers/ there.
 */
function workerFiles(): { ingress: URL; shard: URL; streams: URL } {
  const root = import.meta.url.includes('/$bunfs/')
    ? new URL('./', import.meta.url)
    : new URL('../', import.meta.url);
  return {
    ingress: new URL('workers/ingress.ts', root),
    shard: new URL('workers/shard.ts', root),
    streams: new URL('workers/streams.ts', root),
  };
}

async function closePool(pool: Pool): Promise<void> {
  await pool.end({ timeout: 5 });
}

function buildAuthenticator(
  config: ServiceConfig,
  logger: Logger,
): { authenticate: Authenticate; authDescription: string } {
  // Every bad token would otherwise be an info line: a scanner or a client with a stale token floods the log.
  const onReject = (reason: string) => logger.debug({ reason }, 'request rejected: unauthenticated');
  const { auth, namespace } = config;
  const tokenRules = {
    namespace,
    issuer: auth.issuer,
    audience: auth.audience,
    clockToleranceSeconds: auth.clockToleranceSeconds,
    onReject,
  };
  switch (auth.mode) {
    case 'jwks': {
      const jwksUrl = auth.jwksUrl ?? '';
      return {
        authenticate: createAuthenticator({
          mode: 'jwks',
          jwksUrl,
          ...tokenRules,
          onKeySetFailure: ({ url, cause, suppressed }) =>
            logger.warn(
              { jwksUrl: url, cause, suppressed },
              'JWKS unreachable: tokens whose key is not cached are answered 503',
            ),
        }),
        authDescription: `jwks (${jwksUrl})`,
      };
    }
    case 'dev': {
      const { secret, source } = loadOrCreateDevSecret(config.dataDir, auth.devSecret);
      return {
        authenticate: createAuthenticator({ mode: 'dev', secret, ...tokenRules }),
        authDescription: `dev HS256, secret from ${source}`,
      };
    }
    case 'mock':
      logger.warn(
        'AUTH_MODE=mock: requests are NOT authenticated; the user id is taken from the x-mock-user-id header. Never use this in production.',
      );
      return {
        authenticate: createAuthenticator({ mode: 'mock', onReject }),
        authDescription: 'mock (x-mock-user-id header, NO AUTH)',
      };
  }
}

function buildGranter(config: ServiceConfig, metrics: Metrics): RewardGranter {
  const { rewards } = config;
  const hooks = {
    onAttempt: (outcome: 'granted' | 'retry' | 'failed') =>
      metrics.rewardGrants.inc({ mode: rewards.mode, outcome }),
  };
  const retry = { maxAttempts: 4, initialDelayMs: 200, maxDelayMs: 2_000, totalTimeoutMs: rewards.timeoutMs };
  switch (rewards.mode) {
    case 'mock':
      return createRewardGranter({ mode: 'mock', latencyMs: parseLatencyRange(rewards.mockLatency) }, hooks);
    case 'ags':
      return createRewardGranter(
        {
          mode: 'ags',
          baseUrl: rewards.agsBaseUrl ?? '',
          clientId: rewards.agsClientId ?? '',
          clientSecret: rewards.agsClientSecret ?? '',
          retry,
        },
        hooks,
      );
    case 'webhook':
      return createRewardGranter(
        { mode: 'webhook', url: rewards.webhookUrl ?? '', secret: rewards.webhookSecret ?? '', retry },
        hooks,
      );
  }
}
