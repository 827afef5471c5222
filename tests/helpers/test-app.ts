/**
 * An in-process service for HTTP tests: the real app on a fresh test database, with the test
 * challenge config, a controllable clock, mock auth by default and a recording mock reward backend.
 * Requests go through `app.handle`, no port, unless a test asks for one with `listen()`.
 */
import {
  type Authenticate,
  adminPermissions,
  createAdminAuthorizer,
  createAuthenticator,
  MOCK_ADMIN_HEADER,
  mintDevToken,
} from '../../src/auth/index.ts';
import { loadChallengeConfig } from '../../src/config/challenge-config.ts';
import { type ChangeNotices, createChangeNotices } from '../../src/db/change-notices.ts';
import type { Pool } from '../../src/db/client.ts';
import { type Catalog, createCatalog } from '../../src/domain/catalog.ts';
import { configVersion } from '../../src/domain/config-diff.ts';
import { createApp } from '../../src/http/app.ts';
import { MAX_ACCEPTED_BODY_BYTES } from '../../src/http/request-body.ts';
import { createConfigAdmin } from '../../src/live-config/config-admin.ts';
import { createLiveCatalog } from '../../src/live-config/live-catalog.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { createOutboxAdmin } from '../../src/outbox/outbox-admin.ts';
import { announceBatch, applyEventBatch, type BatchResult } from '../../src/pipeline/apply-events.ts';
import type { PipelineEvent } from '../../src/pipeline/pipeline-event.ts';
import { createRewardGranter } from '../../src/rewards/create-granter.ts';
import type { GrantRequest, RewardGranter } from '../../src/rewards/reward-granter.ts';
import { createAdminPlayers } from '../../src/services/admin/admin-players.ts';
import { createAuditTrail } from '../../src/services/audit-trail.ts';
import { createChallengeQueries } from '../../src/services/challenge-queries.ts';
import { createClaimReward } from '../../src/services/claim-reward.ts';
import { createPlayerErasure } from '../../src/services/erasure.ts';
import { createGoalAssignment } from '../../src/services/goal-assignment.ts';
import { createGoalSelection } from '../../src/services/goal-selection.ts';
import { createRotationStatus } from '../../src/services/rotation-status.ts';
import type { ChangeFeedSettings } from '../../src/stream/change-feed.ts';
import { STREAM_MAX_BUFFERED_BYTES } from '../../src/stream/stream-body.ts';
import type { StreamHub } from '../../src/stream/stream-hub.ts';
import { startStreamThread } from '../../src/stream/stream-thread.ts';
import { createTestDb, type TestDb } from './test-db.ts';

export const TEST_CONFIG_PATH = 'config/challenges.test.json';
export const TEST_NAMESPACE = 'test-namespace';
export const DEV_SECRET = 'test-dev-secret-that-is-long-enough-0123456789';

export interface TestAppOptions {
  readonly configPath?: string;
  readonly catalog?: Catalog;
  /** 'mock' (x-mock-user-id header) by default; 'dev' verifies HS256 tokens signed with DEV_SECRET. */
  readonly auth?: 'mock' | 'dev' | Authenticate;
  readonly granter?: RewardGranter;
  readonly basePath?: string;
  readonly leaseMs?: number;
  readonly poolSize?: number;
  /** A database the caller owns and closes (see `borrowedDb` for a bare pool). */
  readonly db?: TestDb;
  readonly requestTimeoutMs?: number;
  /** Live streams (a stream thread on the system clock, whatever `setNow` says): LISTEN on the test database by default; heartbeats every 15 s. */
  readonly streamFeed?: ChangeFeedSettings;
  readonly streamHeartbeatMs?: number;
  readonly streamMaxOpen?: number;
  readonly streamMaxPerPlayer?: number;
  readonly streamMaxBufferedBytes?: number;
  /** The process's unread budget for streams, and how long a client must have read nothing to be cut for it. */
  readonly streamMaxUnreadBytes?: number;
  readonly streamStallMs?: number;
  readonly streamStallClock?: () => number;
  /** Where the app logs; nowhere (level fatal) by default. */
  readonly logger?: Logger;
}

export interface TestApp {
  readonly db: TestDb;
  /** The configuration in force (PUT /v1/admin/config replaces it). */
  readonly catalog: Catalog;
  readonly metrics: Metrics;
  readonly streams: StreamHub;
  /** What the app's writers announce after their commits (the service's, on the test database). */
  readonly notices: ChangeNotices;
  /** Applies events as a shard does: one flush, then its notices announced (at `now`, default the app's clock). */
  applyEvents(events: readonly PipelineEvent[], now?: Date): Promise<BatchResult>;
  /** Grants the default recording mock backend received, in order. */
  readonly grants: GrantRequest[];
  /** Moves the app's clock; `undefined` returns to real time. */
  setNow(now: Date | undefined): void;
  request(
    method: string,
    path: string,
    init?: { user?: string; admin?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  json<T = unknown>(
    method: string,
    path: string,
    init?: { user?: string; admin?: string; body?: unknown },
  ): Promise<{ status: number; body: T }>;
  handle(request: Request): Promise<Response>;
  /** Serves the app on a free loopback port with the service's listen options; once per app. */
  listen(options?: { readonly idleTimeoutSeconds?: number }): {
    readonly baseUrl: string;
    readonly port: number;
    stop(): Promise<void>;
  };
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDb({ maxConnections: options.poolSize ?? 10 }));
  const catalog =
    options.catalog ?? createCatalog(loadChallengeConfig(options.configPath ?? TEST_CONFIG_PATH));
  const metrics = createMetrics({ defaultMetrics: false });
  const grants: GrantRequest[] = [];
  const recording: RewardGranter = {
    mode: 'mock',
    grant: async (request) => {
      grants.push(request);
    },
  };
  const granter = options.granter ?? recording;
  let fixedNow: Date | undefined;
  const clock = () => fixedNow ?? new Date();
  const auth = options.auth ?? 'mock';
  const authenticate =
    typeof auth === 'function'
      ? auth
      : auth === 'dev'
        ? createAuthenticator({ mode: 'dev', secret: DEV_SECRET, namespace: TEST_NAMESPACE })
        : createAuthenticator({ mode: 'mock' });
  const live = createLiveCatalog({
    id: 0,
    version: configVersion(catalog.challenges),
    source: 'file',
    appliedBy: options.configPath ?? TEST_CONFIG_PATH,
    appliedAt: new Date(),
    document: null,
    challenges: catalog.challenges,
  });
  const current = live.current;
  const notices = createChangeNotices({ db: () => db.pool, logger: options.logger ?? createLogger('fatal') });
  const claimReward = createClaimReward({
    pool: db.pool,
    notices,
    catalog: current,
    namespace: TEST_NAMESPACE,
    granter,
    leaseMs: options.leaseMs ?? 60_000,
    clock,
    onOutcome: (outcome) => metrics.claims.inc({ outcome }),
  });
  const erasure = createPlayerErasure({ db: db.pool, namespace: TEST_NAMESPACE });
  const auditTrail = createAuditTrail({ db: db.pool, catalog: current });
  // As the service serves them: the hub in a stream thread, the response bodies here.
  const streams = startStreamThread({
    workerFile: new URL('../../workers/streams.ts', import.meta.url),
    data: {
      logLevel: 'fatal',
      databaseUrl: db.url,
      transactionPooler: false,
      statementTimeoutMs: 5_000,
      challenges: catalog.challenges,
      feed: options.streamFeed ?? { mode: 'listen', url: db.url },
      heartbeatMs: options.streamHeartbeatMs ?? 15_000,
      maxOpen: options.streamMaxOpen ?? 20_000,
      maxPerPlayer: options.streamMaxPerPlayer ?? 8,
    },
    maxBufferedBytes: options.streamMaxBufferedBytes ?? STREAM_MAX_BUFFERED_BYTES,
    maxUnreadBytes: options.streamMaxUnreadBytes ?? 256 * 1024 * 1024,
    ...(options.streamStallMs === undefined ? {} : { stallMs: options.streamStallMs }),
    ...(options.streamStallClock === undefined ? {} : { stallClock: options.streamStallClock }),
    logger: options.logger ?? createLogger('fatal'),
    onOpenStreams: (count) => metrics.streamsOpen.set(count),
    onEvents: (type, count) => metrics.streamEvents.inc({ type }, count),
    onCut: (reason) => metrics.streamsCut.inc({ reason }),
  });
  live.onChange(async (inForce) => streams.applyChallenges(inForce.challenges));
  metrics.setStreamUnread(() => streams.unreadBytes());
  const app = createApp({
    basePath: options.basePath ?? '',
    authenticate,
    queries: createChallengeQueries({ db: db.pool, catalog: current, clock, maxWaitMs: 10_000 }),
    assignment: createGoalAssignment({
      db: db.pool,
      notices,
      catalog: current,
      namespace: TEST_NAMESPACE,
      clock,
    }),
    selection: createGoalSelection({
      pool: db.pool,
      notices,
      catalog: current,
      namespace: TEST_NAMESPACE,
      clock,
    }),
    claimReward,
    rotation: createRotationStatus({ catalog: current, clock }),
    erasure,
    authorizeAdmin: createAdminAuthorizer({
      // A custom authenticator checks tokens, so admin routes check their permissions claim.
      mode: typeof auth === 'function' ? 'jwks' : auth,
      authenticate,
      namespace: TEST_NAMESPACE,
    }),
    configAdmin: createConfigAdmin({ db: db.pool, live, namespace: TEST_NAMESPACE }),
    auditTrail,
    outboxAdmin: createOutboxAdmin({ db: db.pool, namespace: TEST_NAMESPACE, logger: createLogger('fatal') }),
    streams,
    adminPlayers: createAdminPlayers({
      pool: db.pool,
      notices,
      catalog: current,
      namespace: TEST_NAMESPACE,
      clock,
      auditTrail,
      claimReward,
      erasure,
      logger: options.logger ?? createLogger('fatal'),
    }),
    clock,
    checkDatabase: async () => void (await db.pool`select 1`),
    metrics,
    logger: createLogger('fatal'),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
  });
  const basePath = options.basePath ?? '';

  const request: TestApp['request'] = async (method, path, init = {}) => {
    const headers = new Headers(init.headers);
    if (init.user !== undefined) {
      if (auth === 'dev') headers.set('authorization', `Bearer ${await devToken(init.user)}`);
      else headers.set('x-mock-user-id', init.user);
    }
    if (init.admin !== undefined) {
      if (auth === 'dev') headers.set('authorization', `Bearer ${await adminToken(init.admin)}`);
      else headers.set(MOCK_ADMIN_HEADER, init.admin);
    }
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    return app.handle(new Request(`http://localhost${basePath}${path}`, { method, headers, body }));
  };
  const close = async () => {
    await streams.stop();
    await notices.stop();
    if (!options.db) await db.drop();
  };
  return {
    db,
    get catalog() {
      return live.current();
    },
    metrics,
    streams,
    notices,
    async applyEvents(events, now) {
      const result = await applyEventBatch(db.pool, live.current(), events, now ?? clock());
      announceBatch(notices, result);
      return result;
    },
    grants,
    setNow: (now) => {
      fixedNow = now;
    },
    request,
    json: async <T>(
      method: string,
      path: string,
      init?: { user?: string; admin?: string; body?: unknown },
    ) => {
      const response = await request(method, path, init);
      return { status: response.status, body: (await response.json()) as T };
    },
    handle: (req) => app.handle(req),
    listen: (listenOptions = {}) => {
      app.listen({
        hostname: '127.0.0.1',
        port: 0,
        maxRequestBodySize: MAX_ACCEPTED_BODY_BYTES,
        ...(listenOptions.idleTimeoutSeconds === undefined
          ? {}
          : { idleTimeout: listenOptions.idleTimeoutSeconds }),
      });
      const server = app.server;
      if (!server) throw new Error('the test app did not start listening');
      const port = server.port ?? 0;
      return { baseUrl: `http://127.0.0.1:${port}${basePath}`, port, stop: () => server.stop(true) };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A TestDb over a pool the caller created (another server, an unreachable one); nothing to drop. */
export const borrowedDb = (pool: Pool, url = 'postgres://unused'): TestDb => ({
  url,
  name: new URL(url).pathname.slice(1) || 'unused',
  pool,
  drop: async () => {},
  [Symbol.asyncDispose]: async () => {},
});

export const devToken = (userId: string, namespace = TEST_NAMESPACE) =>
  mintDevToken({ secret: DEV_SECRET, userId, namespace });

/** A dev token with every action on the admin permission of `namespace`. */
export const adminToken = (userId: string, namespace = TEST_NAMESPACE) =>
  mintDevToken({ secret: DEV_SECRET, userId, namespace, permissions: adminPermissions(namespace) });

/** The recording default granter is a plain object; a real mock granter when a test wants latency. */
export const slowMockGranter = (latencyMs: number) =>
  createRewardGranter({ mode: 'mock', latencyMs: { min: latencyMs, max: latencyMs } });
