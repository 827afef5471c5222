/**
 * The service's settings, read once from the environment into a frozen object. The only reader of
 * process.env; every other module receives its slice as a parameter. Accepts the original's
 * variable names where they mean the same thing.
 */
import { isIPv6 } from 'node:net';
import { availableParallelism } from 'node:os';
import type { AuthMode } from '../auth/types.ts';
import { MAX_HTTP_IDLE_SECONDS } from '../http/socket-idle-timeout.ts';
import type { RewardMode } from '../rewards/reward-granter.ts';
import { parseWebhookUrl } from '../webhooks/signature.ts';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface ServiceConfig {
  /** Unset: start an embedded PostgreSQL under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly dbPoolMax: number;
  /**
   * DATABASE_URL points at a pooler in transaction mode (PgBouncer `pool_mode = transaction`), where
   * consecutive transactions may run on different server connections (see db/client.ts).
   */
  readonly dbTransactionPooler: boolean;
  /** Bind address of the REST API. */
  readonly httpHost: string;
  readonly httpPort: number;
  /** Bind address of the platform event port. */
  readonly grpcHost: string;
  readonly grpcPort: number;
  /** When set, OnMessage calls need metadata `authorization: Bearer <token>`; health and reflection stay open. */
  readonly grpcAuthToken: string | undefined;
  /** PEM files; when set the event port speaks TLS only. */
  readonly grpcTls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** URL prefix for every route, '' or '/something' without a trailing slash. */
  readonly basePath: string;
  readonly challengeConfigPath: string;
  readonly namespace: string;
  readonly auth: {
    readonly mode: AuthMode;
    readonly jwksUrl: string | undefined;
    /** Dev-mode HS256 secret; undefined means "generate one at start and print it". */
    readonly devSecret: string | undefined;
    readonly clockToleranceSeconds: number;
    /** When set, a token's `iss` must equal it. */
    readonly issuer: string | undefined;
    /** When set, a token's `aud` must contain it. */
    readonly audience: string | undefined;
  };
  readonly rewards: {
    readonly mode: RewardMode;
    readonly mockLatency: string;
    readonly agsBaseUrl: string | undefined;
    readonly agsClientId: string | undefined;
    readonly agsClientSecret: string | undefined;
    readonly webhookUrl: string | undefined;
    readonly webhookSecret: string | undefined;
    readonly timeoutMs: number;
  };
  readonly events: {
    /** Shard worker threads; each user's events go to one of them. */
    readonly shards: number;
    /** Most events in one flush transaction. */
    readonly maxBatch: number;
    /** Extra wait before a flush to gather more events (0: flush as soon as the previous one ended). */
    readonly minWaitMs: number;
    /** Buffered events per shard before new ones are refused with RESOURCE_EXHAUSTED. */
    readonly maxBacklog: number;
    /** Event calls waiting for their commit, over all shards, before new ones are refused with RESOURCE_EXHAUSTED. */
    readonly maxInFlight: number;
    /** How long an event waits for an unreachable database before its call fails with UNAVAILABLE. */
    readonly maxWaitMs: number;
    /** How long processed event ids are kept for de-duplication of redeliveries. */
    readonly dedupRetentionHours: number;
  };
  /** Webhook notifications of outbox messages (src/outbox/); undefined without NOTIFY_WEBHOOK_URL. */
  readonly notify: NotifyWebhookConfig | undefined;
  /**
   * Outbox messages are deleted this long after they occurred: delivered and parked ones while
   * delivery is on (src/outbox/delivery-setting.ts), all of them otherwise. Also how far back the
   * live stream can resume.
   */
  readonly outboxRetentionHours: number;
  /** Compress challenge lists for clients that send Accept-Encoding: gzip. */
  readonly httpGzip: boolean;
  /**
   * How long a kept-alive HTTP connection may stay idle before it is closed. Longer than the idle
   * timeout of the load balancer in front (60 s on AWS ALB), or it reuses a connection just closed.
   */
  readonly httpIdleTimeoutSeconds: number;
  /** Live event streams (src/stream/). */
  readonly stream: {
    /** A comment line on a stream quiet this long keeps proxies from closing it. */
    readonly heartbeatMs: number;
    /** Behind a transaction pooler (no LISTEN): how often the outbox is read for every open stream. */
    readonly pollIntervalMs: number;
    /** Streams one process holds at most; more are refused with RESOURCE_EXHAUSTED. */
    readonly maxOpen: number;
    /** Streams one player holds at most on one process. */
    readonly maxPerPlayer: number;
    /** Unread text all of the process's streams may hold together before stalled ones are cut. */
    readonly maxUnreadBytes: number;
  };
  /** How often each replica looks for a configuration applied elsewhere (src/live-config/). */
  readonly configPollIntervalMs: number;
  /** The per-player audit trail of events and admin changes (src/domain/audit.ts). */
  readonly audit: {
    readonly enabled: boolean;
    /** Entries are kept this long (and at least as long as event ids are kept for dedup). */
    readonly retentionDays: number;
  };
  /** The background deletion of expired rows of rotating goals (the original's variables). */
  readonly cleanup: {
    readonly enabled: boolean;
    readonly intervalMinutes: number;
    /** Rows whose period ended longer ago than this are deleted (when disposable). */
    readonly retentionDays: number;
    /** Most rows one delete statement removes. */
    readonly batchSize: number;
  };
  readonly logLevel: LogLevel;
  /** Longest an API request may take before it is answered UNAVAILABLE (claims add the reward budget). */
  readonly requestTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
}

export interface NotifyWebhookConfig {
  readonly url: string;
  /** HMAC-SHA256 key of the `x-challenge-signature` header. */
  readonly secret: string;
  /** Attempts before a message is parked (a dead letter). */
  readonly maxAttempts: number;
  /** Per request. */
  readonly timeoutMs: number;
  /** Wait after the first failure, doubled after each further one up to `maxDelayMs`, with jitter. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Requests out at once from one replica. */
  readonly concurrency: number;
  /** Longest wait before new or due messages are seen without a notification (always, behind a transaction pooler). */
  readonly pollIntervalMs: number;
}

export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
}

type Env = Readonly<Record<string, string | undefined>>;

export function readServiceConfig(env: Env): ServiceConfig {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const abBaseUrl = read('AB_BASE_URL')?.replace(/\/+$/, '');
  const authMode = readAuthMode(read);
  const jwksUrl = read('JWKS_URL') ?? (abBaseUrl ? `${abBaseUrl}/iam/v3/oauth/jwks` : undefined);
  if (authMode === 'jwks' && !jwksUrl) {
    throw new EnvironmentError(
      'AUTH_MODE=jwks needs JWKS_URL or AB_BASE_URL (the JWKS is {AB_BASE_URL}/iam/v3/oauth/jwks)',
    );
  }
  const rewardMode = readRewardMode(read);
  const rewards = {
    mode: rewardMode,
    mockLatency: read('MOCK_REWARD_LATENCY_MS') ?? '0',
    agsBaseUrl: abBaseUrl,
    agsClientId: read('AB_CLIENT_ID'),
    agsClientSecret: read('AB_CLIENT_SECRET'),
    webhookUrl: read('REWARD_WEBHOOK_URL'),
    webhookSecret: read('REWARD_WEBHOOK_SECRET'),
    timeoutMs: readInt(read, 'REWARD_TIMEOUT_MS', 10_000, 100, 120_000),
  };
  if (rewardMode === 'ags' && !(rewards.agsBaseUrl && rewards.agsClientId && rewards.agsClientSecret)) {
    throw new EnvironmentError('REWARD_MODE=ags needs AB_BASE_URL, AB_CLIENT_ID and AB_CLIENT_SECRET');
  }
  if (rewardMode === 'webhook' && !(rewards.webhookUrl && rewards.webhookSecret)) {
    throw new EnvironmentError('REWARD_MODE=webhook needs REWARD_WEBHOOK_URL and REWARD_WEBHOOK_SECRET');
  }
  // Mock auth lets any caller name any user; with a backend that grants real items, anyone could
  // claim anyone's rewards. Allowed only when asked for by name.
  if (authMode === 'mock' && rewardMode !== 'mock' && !readBoolean(read, ALLOW_MOCK_AUTH, false)) {
    throw new EnvironmentError(
      `AUTH_MODE=mock (no authentication) with REWARD_MODE=${rewardMode} would let any caller claim any player's real rewards; set ${ALLOW_MOCK_AUTH}=true to allow it anyway`,
    );
  }
  return Object.freeze({
    databaseUrl: read('DATABASE_URL') ?? databaseUrlFromParts(read),
    dataDir: read('DATA_DIR') ?? '.data',
    dbPoolMax: readInt(read, 'DB_POOL_MAX', 20, 1, 1000),
    dbTransactionPooler: readBoolean(read, 'DB_TRANSACTION_POOLER', false),
    httpHost: read('HTTP_HOST') ?? '0.0.0.0',
    httpPort: readInt(read, 'HTTP_PORT', 8000, 0, 65_535),
    grpcHost: read('GRPC_HOST') ?? '0.0.0.0',
    grpcPort: readInt(read, 'GRPC_PORT', 6565, 0, 65_535),
    grpcAuthToken: read('GRPC_AUTH_TOKEN'),
    grpcTls: readTlsFiles(read),
    basePath: readBasePath(read('BASE_PATH')),
    challengeConfigPath: read('CHALLENGE_CONFIG_PATH') ?? 'config/challenges.json',
    namespace: readNamespace(read('AB_NAMESPACE') ?? 'accelbyte'),
    auth: Object.freeze({
      mode: authMode,
      jwksUrl,
      devSecret: read('DEV_JWT_SECRET'),
      clockToleranceSeconds: readInt(read, 'AUTH_CLOCK_SKEW_SECONDS', 30, 0, 600),
      issuer: read('JWT_ISSUER'),
      audience: read('JWT_AUDIENCE'),
    }),
    rewards: Object.freeze(rewards),
    events: Object.freeze({
      shards: readInt(read, 'EVENT_SHARDS', Math.max(1, availableParallelism()), 1, 64),
      maxBatch: readInt(read, 'EVENT_MAX_BATCH', 2_000, 1, 50_000),
      minWaitMs: readInt(read, 'EVENT_MIN_WAIT_MS', 0, 0, 10_000),
      maxBacklog: readInt(read, 'EVENT_MAX_BACKLOG', 20_000, 1, 1_000_000),
      maxInFlight: readInt(read, 'EVENT_MAX_IN_FLIGHT', 500, 1, 1_000_000),
      maxWaitMs: readInt(read, 'EVENT_DB_WAIT_MS', 5_000, 100, 120_000),
      dedupRetentionHours: readInt(read, 'EVENT_DEDUP_RETENTION_HOURS', 24, 1, 24 * 30),
    }),
    notify: readNotifyWebhook(read),
    outboxRetentionHours: readInt(read, 'OUTBOX_RETENTION_HOURS', 72, 1, 24 * 90),
    configPollIntervalMs: readInt(read, 'CONFIG_POLL_INTERVAL_MS', 2_000, 100, 600_000),
    httpGzip: readBoolean(read, 'HTTP_GZIP', true),
    httpIdleTimeoutSeconds: readInt(read, 'HTTP_IDLE_TIMEOUT_SECONDS', 75, 1, MAX_HTTP_IDLE_SECONDS),
    stream: Object.freeze({
      heartbeatMs: readInt(read, 'STREAM_HEARTBEAT_MS', 15_000, 100, 600_000),
      pollIntervalMs: readInt(read, 'STREAM_POLL_INTERVAL_MS', 1_000, 100, 600_000),
      maxOpen: readInt(read, 'STREAM_MAX_OPEN', 20_000, 0, 1_000_000),
      maxPerPlayer: readInt(read, 'STREAM_MAX_PER_PLAYER', 8, 1, 1_000),
      maxUnreadBytes: readInt(read, 'STREAM_MAX_UNREAD_MB', 256, 1, 65_536) * 1024 * 1024,
    }),
    audit: Object.freeze({
      enabled: readBoolean(read, 'AUDIT_ENABLED', true),
      retentionDays: readInt(read, 'AUDIT_RETENTION_DAYS', 7, 1, 3_650),
    }),
    cleanup: Object.freeze({
      enabled: readBoolean(read, 'CLEANUP_ENABLED', true),
      intervalMinutes: readInt(read, 'CLEANUP_INTERVAL_MINUTES', 60, 1, 24 * 60),
      retentionDays: readInt(read, 'CLEANUP_RETENTION_DAYS', 7, 0, 3_650),
      batchSize: readInt(read, 'CLEANUP_BATCH_SIZE', 1_000, 1, 100_000),
    }),
    logLevel: readLogLevel(read('LOG_LEVEL')),
    // With REWARD_TIMEOUT_MS on top, a claim's deadline stays inside the HTTP server's longest idle
    // timeout, so its answer is not cut off (src/http/socket-idle-timeout.ts).
    requestTimeoutMs: readInt(read, 'REQUEST_TIMEOUT_MS', 10_000, 100, 120_000),
    shutdownTimeoutMs: readInt(read, 'SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
  });
}

type Read = (name: string) => string | undefined;

const ALLOW_MOCK_AUTH = 'ALLOW_MOCK_AUTH_WITH_REAL_REWARDS';

function readBoolean(read: Read, name: string, fallback: boolean): boolean {
  const text = read(name)?.toLowerCase();
  if (text === undefined) return fallback;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new EnvironmentError(`${name} must be true or false (got '${text}')`);
}

function readTlsFiles(read: Read): ServiceConfig['grpcTls'] {
  const certFile = read('GRPC_TLS_CERT_FILE');
  const keyFile = read('GRPC_TLS_KEY_FILE');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new EnvironmentError('GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE must be set together');
  }
  return Object.freeze({ certFile, keyFile });
}

function readNotifyWebhook(read: Read): NotifyWebhookConfig | undefined {
  const url = read('NOTIFY_WEBHOOK_URL');
  const secret = read('NOTIFY_WEBHOOK_SECRET');
  if (url === undefined && secret === undefined) return undefined;
  if (url === undefined || secret === undefined) {
    throw new EnvironmentError('NOTIFY_WEBHOOK_URL and NOTIFY_WEBHOOK_SECRET must be set together');
  }
  try {
    parseWebhookUrl(url, 'NOTIFY_WEBHOOK_URL');
  } catch (error) {
    throw new EnvironmentError(error instanceof Error ? error.message : String(error));
  }
  const initialDelayMs = readInt(read, 'NOTIFY_WEBHOOK_BACKOFF_MS', 1_000, 10, 3_600_000);
  const maxDelayMs = readInt(read, 'NOTIFY_WEBHOOK_BACKOFF_MAX_MS', 600_000, 10, 86_400_000);
  if (maxDelayMs < initialDelayMs) {
    throw new EnvironmentError(
      `NOTIFY_WEBHOOK_BACKOFF_MAX_MS (${maxDelayMs}) must be at least NOTIFY_WEBHOOK_BACKOFF_MS (${initialDelayMs})`,
    );
  }
  return Object.freeze({
    url,
    secret,
    maxAttempts: readInt(read, 'NOTIFY_WEBHOOK_MAX_ATTEMPTS', 12, 1, 1_000),
    timeoutMs: readInt(read, 'NOTIFY_WEBHOOK_TIMEOUT_MS', 5_000, 100, 120_000),
    initialDelayMs,
    maxDelayMs,
    concurrency: readInt(read, 'NOTIFY_WEBHOOK_CONCURRENCY', 16, 1, 256),
    pollIntervalMs: readInt(read, 'NOTIFY_WEBHOOK_POLL_MS', 1_000, 50, 600_000),
  });
}

function readAuthMode(read: Read): AuthMode {
  const explicit = read('AUTH_MODE')?.toLowerCase();
  if (explicit !== undefined) {
    if (explicit === 'jwks' || explicit === 'dev' || explicit === 'mock') return explicit;
    throw new EnvironmentError(`AUTH_MODE must be jwks, dev or mock (got '${explicit}')`);
  }
  // The original's switch: auth disabled means "trust the x-mock-user-id header".
  if (read('PLUGIN_GRPC_SERVER_AUTH_ENABLED')?.toLowerCase() === 'false') return 'mock';
  return 'dev';
}

function readRewardMode(read: Read): RewardMode {
  const explicit = read('REWARD_MODE')?.toLowerCase();
  const legacy = read('REWARD_CLIENT_MODE')?.toLowerCase();
  const mode = explicit ?? (legacy === 'real' ? 'ags' : legacy) ?? 'mock';
  if (mode === 'mock' || mode === 'ags' || mode === 'webhook') return mode;
  throw new EnvironmentError(`REWARD_MODE must be mock, ags or webhook (got '${mode}')`);
}

function readInt(read: Read, name: string, fallback: number, min: number, max: number): number {
  const text = read(name);
  if (text === undefined) return fallback;
  // Decimal digits only: Number() would also take 0x1F90, 1e4 or ' 80 '.
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new EnvironmentError(`${name} must be an integer from ${min} to ${max} (got '${text}')`);
  }
  return value;
}

/**
 * A plain path: segments of letters, digits and `._~-`, none `.` or `..`. Anything else would be
 * read as route syntax (`/:tenant` matches any first segment) or normalised away by clients (`..`).
 */
function readBasePath(text: string | undefined): string {
  if (text === undefined || text === '/') return '';
  const segments = text.replace(/\/+$/, '').split('/').slice(1);
  const plain =
    text.startsWith('/') &&
    segments.length > 0 &&
    segments.every((segment) => /^[A-Za-z0-9._~-]+$/.test(segment) && segment !== '.' && segment !== '..');
  if (!plain) {
    throw new EnvironmentError(
      `BASE_PATH must be a plain path of letters, digits and ._~- segments, e.g. /challenge (got '${text}')`,
    );
  }
  return `/${segments.join('/')}`;
}

function readNamespace(text: string): string {
  if (text.length > 100) throw new EnvironmentError('AB_NAMESPACE must be at most 100 characters');
  return text;
}

function readLogLevel(text: string | undefined): LogLevel {
  const level = (text ?? 'info').toLowerCase();
  const levels: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
  const found = levels.find((candidate) => candidate === level);
  if (!found) throw new EnvironmentError(`LOG_LEVEL must be one of ${levels.join(', ')} (got '${text}')`);
  return found;
}

/**
 * The original's DB_HOST/DB_PORT/… variables, used when DATABASE_URL is not given. Each is checked:
 * the URL setters drop what they cannot take without a word (a port in DB_HOST, a port that is not
 * a number), which would have the service connect, and migrate, somewhere else.
 */
function databaseUrlFromParts(read: Read): string | undefined {
  const host = read('DB_HOST');
  if (!host) return undefined;
  // An IPv6 address goes in brackets; any other colon is a port in the wrong place.
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const ipv6 = isIPv6(bare);
  if (!ipv6 && !/^[A-Za-z0-9._-]+$/.test(host)) {
    throw new EnvironmentError(
      `DB_HOST must be a host name or an IP address, with the port in DB_PORT (got '${host}')`,
    );
  }
  const port = read('DB_PORT') ?? '5432';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535) {
    throw new EnvironmentError(`DB_PORT must be a port number from 1 to 65535 (got '${port}')`);
  }
  // The driver takes the database name from the path as it is, without decoding it.
  const database = read('DB_NAME') ?? 'challenge_service';
  if (!/^[A-Za-z0-9_.$-]+$/.test(database)) {
    throw new EnvironmentError(
      `DB_NAME must be letters, digits and _ . $ - (got '${database}'); set DATABASE_URL for any other name`,
    );
  }
  const url = new URL('postgres://localhost');
  url.hostname = ipv6 ? `[${bare}]` : host;
  url.port = port;
  // Percent-encoded, as the driver decodes them: a '%' in a password stays a '%'.
  url.username = encodeURIComponent(read('DB_USER') ?? 'postgres');
  url.password = encodeURIComponent(read('DB_PASSWORD') ?? '');
  url.pathname = `/${database}`;
  const sslMode = read('DB_SSLMODE') ?? read('DB_SSL_MODE');
  if (sslMode) url.searchParams.set('sslmode', sslMode);
  // The setters drop what they cannot take without a word: the host must be the one asked for.
  const expected = ipv6 ? `[${bare}]` : host;
  if (url.hostname.toLowerCase() !== expected.toLowerCase() && !ipv6) {
    throw new EnvironmentError(`DB_HOST '${host}' cannot be used in a connection URL; set DATABASE_URL`);
  }
  return url.toString();
}
