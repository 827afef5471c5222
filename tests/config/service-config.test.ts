import { describe, expect, test } from 'bun:test';
import { EnvironmentError, readServiceConfig } from '../../src/config/service-config.ts';

describe('readServiceConfig', () => {
  test('defaults: embedded database, dev auth, mock rewards, standard ports', () => {
    const config = readServiceConfig({});
    expect(config).toMatchObject({
      databaseUrl: undefined,
      httpPort: 8000,
      grpcPort: 6565,
      basePath: '',
      challengeConfigPath: 'config/challenges.json',
      namespace: 'accelbyte',
      logLevel: 'info',
    });
    expect(config.auth.mode).toBe('dev');
    expect(config.rewards.mode).toBe('mock');
  });

  test.each([
    { env: { AUTH_MODE: 'mock' }, mode: 'mock' },
    { env: { PLUGIN_GRPC_SERVER_AUTH_ENABLED: 'false' }, mode: 'mock' },
    { env: { PLUGIN_GRPC_SERVER_AUTH_ENABLED: 'true' }, mode: 'dev' },
    { env: { AUTH_MODE: 'JWKS', AB_BASE_URL: 'https://ags.example/' }, mode: 'jwks' },
  ])('auth mode → $mode (mock only when asked for)', ({ env, mode }) => {
    expect(readServiceConfig(env).auth.mode).toBe(mode as 'dev');
  });

  test('event bounds: 500 calls waiting for their commit, 20,000 events per shard, unless set', () => {
    expect(readServiceConfig({}).events).toMatchObject({ maxInFlight: 500, maxBacklog: 20_000 });
    expect(readServiceConfig({ EVENT_MAX_IN_FLIGHT: '64' }).events.maxInFlight).toBe(64);
    expect(() => readServiceConfig({ EVENT_MAX_IN_FLIGHT: '0' })).toThrow('EVENT_MAX_IN_FLIGHT');
  });

  test('jwks URL defaults to the AccelByte IAM key set', () => {
    const config = readServiceConfig({ AUTH_MODE: 'jwks', AB_BASE_URL: 'https://ags.example/' });
    expect(config.auth.jwksUrl).toBe('https://ags.example/iam/v3/oauth/jwks');
  });

  test.each([
    { env: { REWARD_CLIENT_MODE: 'mock' }, mode: 'mock' },
    {
      env: {
        REWARD_CLIENT_MODE: 'real',
        AB_BASE_URL: 'https://a',
        AB_CLIENT_ID: 'id',
        AB_CLIENT_SECRET: 's',
      },
      mode: 'ags',
    },
    {
      env: { REWARD_MODE: 'webhook', REWARD_WEBHOOK_URL: 'http://h', REWARD_WEBHOOK_SECRET: 's' },
      mode: 'webhook',
    },
  ])('reward mode → $mode', ({ env, mode }) => {
    expect(readServiceConfig(env).rewards.mode).toBe(mode as 'mock');
  });

  test('the original DB_* variables build a URL when DATABASE_URL is unset, each as given', () => {
    const url = (env: Record<string, string>) => new URL(readServiceConfig(env).databaseUrl ?? '');
    expect(
      readServiceConfig({ DB_HOST: 'db', DB_PORT: '5433', DB_USER: 'u', DB_PASSWORD: 'p w', DB_NAME: 'n' })
        .databaseUrl,
    ).toBe('postgres://u:p%20w@db:5433/n');
    expect(readServiceConfig({ DATABASE_URL: 'postgres://x/y', DB_HOST: 'db' }).databaseUrl).toBe(
      'postgres://x/y',
    );
    // Percent-encoded, so the driver reads them back as given; an IPv6 address goes in brackets.
    const odd = url({ DB_HOST: '::1', DB_USER: 'a@b', DB_PASSWORD: 'ab%41cd:/', DB_NAME: 'n_x' });
    expect(odd.hostname).toBe('[::1]');
    expect(decodeURIComponent(odd.username)).toBe('a@b');
    expect(decodeURIComponent(odd.password)).toBe('ab%41cd:/');
    expect(odd.pathname).toBe('/n_x');
    // Compose service names may have underscores; a bracketed IPv6 address is taken as it is.
    expect(url({ DB_HOST: 'my_db' }).hostname).toBe('my_db');
    expect(url({ DB_HOST: '[::1]' }).hostname).toBe('[::1]');
  });

  test('BASE_PATH is normalised', () => {
    expect(readServiceConfig({ BASE_PATH: '/challenge/' }).basePath).toBe('/challenge');
    expect(readServiceConfig({ BASE_PATH: '/' }).basePath).toBe('');
  });

  test.each([
    { env: { HTTP_PORT: 'eighty' }, message: 'HTTP_PORT' },
    { env: { HTTP_PORT: '70000' }, message: 'HTTP_PORT' },
    { env: { AUTH_MODE: 'none' }, message: 'AUTH_MODE' },
    { env: { AUTH_MODE: 'jwks' }, message: 'JWKS_URL' },
    { env: { REWARD_MODE: 'ags' }, message: 'AB_CLIENT_ID' },
    { env: { REWARD_MODE: 'webhook' }, message: 'REWARD_WEBHOOK_URL' },
    { env: { REWARD_MODE: 'free' }, message: 'REWARD_MODE' },
    { env: { BASE_PATH: 'challenge' }, message: 'BASE_PATH' },
    { env: { LOG_LEVEL: 'loud' }, message: 'LOG_LEVEL' },
    { env: { AB_NAMESPACE: 'x'.repeat(101) }, message: 'AB_NAMESPACE' },
    { env: { GRPC_TLS_CERT_FILE: 'cert.pem' }, message: 'GRPC_TLS_KEY_FILE' },
    { env: { GRPC_TLS_KEY_FILE: 'key.pem' }, message: 'GRPC_TLS_CERT_FILE' },
    { env: { DB_TRANSACTION_POOLER: 'maybe' }, message: 'DB_TRANSACTION_POOLER' },
    // Integers are plain decimal digits: Number() alone would take these.
    ...['0x1F90', '1e4', '8080.0', '+8080'].map((port) => ({
      env: { HTTP_PORT: port },
      message: 'HTTP_PORT must be an integer',
    })),
    // Route syntax, or not a plain path.
    ...['/:tenant', '/a/../b', '//', '/a/./b', '/a b', '/a?b', 'challenge'].map((basePath) => ({
      env: { BASE_PATH: basePath },
      message: 'BASE_PATH must be a plain path',
    })),
    // What a connection URL cannot carry is refused, not silently dropped.
    { env: { DB_HOST: 'db.example.com:6543' }, message: 'DB_HOST must be a host name or an IP address' },
    { env: { DB_HOST: '10.0.0.5:5432' }, message: 'DB_HOST must be a host name or an IP address' },
    { env: { DB_HOST: 'cafe:5432' }, message: 'DB_HOST must be a host name or an IP address' },
    { env: { DB_HOST: '[::1' }, message: 'DB_HOST must be a host name or an IP address' },
    { env: { DB_HOST: 'db host' }, message: 'DB_HOST must be a host name' },
    ...['abc', '99999', '5433x'].map((port) => ({
      env: { DB_HOST: 'db', DB_PORT: port },
      message: 'DB_PORT must be a port number',
    })),
    { env: { DB_HOST: 'db', DB_NAME: 'n/x' }, message: 'DB_NAME must be letters, digits' },
  ])('rejects a bad value: $message ($env)', ({ env, message }) => {
    expect(() => readServiceConfig(env)).toThrow(EnvironmentError);
    expect(() => readServiceConfig(env)).toThrow(message);
  });

  test('bind addresses, event-port protection, JWT checks and pooler mode are read', () => {
    const config = readServiceConfig({
      HTTP_HOST: '127.0.0.1',
      GRPC_HOST: '10.0.0.5',
      GRPC_AUTH_TOKEN: 'secret',
      GRPC_TLS_CERT_FILE: 'cert.pem',
      GRPC_TLS_KEY_FILE: 'key.pem',
      JWT_ISSUER: 'https://iam.example',
      JWT_AUDIENCE: 'game',
      DB_TRANSACTION_POOLER: 'true',
    });
    expect(config).toMatchObject({
      httpHost: '127.0.0.1',
      grpcHost: '10.0.0.5',
      grpcAuthToken: 'secret',
      grpcTls: { certFile: 'cert.pem', keyFile: 'key.pem' },
      dbTransactionPooler: true,
      auth: { issuer: 'https://iam.example', audience: 'game' },
    });
    expect(readServiceConfig({})).toMatchObject({
      httpHost: '0.0.0.0',
      grpcHost: '0.0.0.0',
      grpcAuthToken: undefined,
      grpcTls: undefined,
      dbTransactionPooler: false,
    });
  });

  describe('mock auth with a reward backend that grants real items', () => {
    const real = [
      { REWARD_MODE: 'ags', AB_BASE_URL: 'https://a', AB_CLIENT_ID: 'id', AB_CLIENT_SECRET: 's' },
      { REWARD_MODE: 'webhook', REWARD_WEBHOOK_URL: 'http://h', REWARD_WEBHOOK_SECRET: 's' },
    ];
    test.each(real)('refuses to start, naming the variable that allows it ($REWARD_MODE)', (rewards) => {
      for (const auth of [{ AUTH_MODE: 'mock' }, { PLUGIN_GRPC_SERVER_AUTH_ENABLED: 'false' }]) {
        expect(() => readServiceConfig({ ...auth, ...rewards })).toThrow(EnvironmentError);
        expect(() => readServiceConfig({ ...auth, ...rewards })).toThrow(
          'ALLOW_MOCK_AUTH_WITH_REAL_REWARDS=true',
        );
      }
    });
    test.each(real)('starts when ALLOW_MOCK_AUTH_WITH_REAL_REWARDS=true ($REWARD_MODE)', (rewards) => {
      const config = readServiceConfig({
        AUTH_MODE: 'mock',
        ALLOW_MOCK_AUTH_WITH_REAL_REWARDS: 'true',
        ...rewards,
      });
      expect(config.auth.mode).toBe('mock');
    });
    test('mock auth with mock rewards needs nothing', () => {
      expect(readServiceConfig({ AUTH_MODE: 'mock' }).rewards.mode).toBe('mock');
    });
  });

  describe('notification webhook and outbox retention', () => {
    const webhook = {
      NOTIFY_WEBHOOK_URL: 'https://game.example/hooks/challenge',
      NOTIFY_WEBHOOK_SECRET: 's3cret',
    };

    test('off by default; the retention is 72 hours', () => {
      expect(readServiceConfig({})).toMatchObject({ notify: undefined, outboxRetentionHours: 72 });
    });

    test('URL and secret with the defaults, and every setting read', () => {
      expect(readServiceConfig(webhook).notify).toEqual({
        url: 'https://game.example/hooks/challenge',
        secret: 's3cret',
        maxAttempts: 12,
        timeoutMs: 5_000,
        initialDelayMs: 1_000,
        maxDelayMs: 600_000,
        concurrency: 16,
        pollIntervalMs: 1_000,
      });
      const config = readServiceConfig({
        ...webhook,
        NOTIFY_WEBHOOK_MAX_ATTEMPTS: '3',
        NOTIFY_WEBHOOK_TIMEOUT_MS: '2000',
        NOTIFY_WEBHOOK_BACKOFF_MS: '500',
        NOTIFY_WEBHOOK_BACKOFF_MAX_MS: '60000',
        NOTIFY_WEBHOOK_CONCURRENCY: '4',
        NOTIFY_WEBHOOK_POLL_MS: '250',
        OUTBOX_RETENTION_HOURS: '24',
      });
      expect(config.notify).toMatchObject({
        maxAttempts: 3,
        timeoutMs: 2_000,
        initialDelayMs: 500,
        maxDelayMs: 60_000,
        concurrency: 4,
        pollIntervalMs: 250,
      });
      expect(config.outboxRetentionHours).toBe(24);
    });

    test.each([
      [{ NOTIFY_WEBHOOK_URL: 'https://h' }, 'must be set together'],
      [{ NOTIFY_WEBHOOK_SECRET: 's' }, 'must be set together'],
      [{ ...webhook, NOTIFY_WEBHOOK_URL: 'not a url' }, 'is not a valid URL'],
      [{ ...webhook, NOTIFY_WEBHOOK_URL: 'ftp://h/x' }, 'must be an http(s) URL'],
      [{ ...webhook, NOTIFY_WEBHOOK_MAX_ATTEMPTS: '0' }, 'NOTIFY_WEBHOOK_MAX_ATTEMPTS must be an integer'],
      [
        { ...webhook, NOTIFY_WEBHOOK_BACKOFF_MS: '5000', NOTIFY_WEBHOOK_BACKOFF_MAX_MS: '1000' },
        'must be at least',
      ],
      [{ OUTBOX_RETENTION_HOURS: '0' }, 'OUTBOX_RETENTION_HOURS must be an integer'],
    ])('refuses %o', (env, message) => {
      expect(() => readServiceConfig(env)).toThrow(EnvironmentError);
      expect(() => readServiceConfig(env)).toThrow(message);
    });
  });
});
