/** The gRPC event edge on loopback with a fake pipeline: statuses, filtering, health, reflection, shutdown. */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { AppError, GRPC_STATUS } from '../../src/domain/errors.ts';
import { createEventClient } from '../../src/events/event-client.ts';
import { createEventServer, type EventServer } from '../../src/events/event-server.ts';
import type { IncomingEvent } from '../../src/events/incoming-event.ts';
import { LOGIN_SERVICE_NAME, loadEventProtos, STAT_SERVICE_NAME } from '../../src/events/proto.ts';
import { bidiAll, methodOf, serverStream, serviceIn, unary, waitFor } from './grpc-calls.ts';

const NAMESPACE = 'game';
const protos = loadEventProtos();
const statOnMessage = methodOf(protos.statService, 'OnMessage');
const loginOnMessage = methodOf(protos.loginService, 'OnMessage');
// Loaded from the package's own file (as a health client would), independent of our embedded copy.
const healthService = serviceIn(
  protoLoader.loadSync(require.resolve('grpc-health-check/proto/health/v1/health.proto'), {
    enums: String,
    defaults: true,
  }),
  'grpc.health.v1.Health',
);
const healthCheck = methodOf(healthService, 'Check');
const healthWatch = methodOf(healthService, 'Watch');

/** What the fake pipeline does with the next events; default: commit. */
type Behaviour = (event: IncomingEvent) => Promise<void>;

interface Harness {
  server: EventServer;
  address: string;
  handled: IncomingEvent[];
  outcomes: string[];
  errors: object[];
  setBehaviour(behaviour: Behaviour): void;
}

async function startHarness(
  options: { isRelevant?: (event: IncomingEvent) => boolean; maxInFlight?: number } = {},
): Promise<Harness> {
  const handled: IncomingEvent[] = [];
  const outcomes: string[] = [];
  const errors: object[] = [];
  let behaviour: Behaviour = async () => {};
  const server = createEventServer({
    namespace: NAMESPACE,
    handle: (event) => {
      handled.push(event);
      return behaviour(event);
    },
    ...(options.isRelevant ? { isRelevant: options.isRelevant } : {}),
    maxInFlight: options.maxInFlight,
    onOutcome: (kind, outcome, code) => outcomes.push(`${kind}:${outcome}${code ? `:${code}` : ''}`),
    logger: { warn: () => {}, error: (obj) => errors.push(obj) },
  });
  const port = await server.listen('127.0.0.1', 0);
  return {
    server,
    address: `127.0.0.1:${port}`,
    handled,
    outcomes,
    errors,
    setBehaviour: (next) => {
      behaviour = next;
    },
  };
}

describe('OnMessage', () => {
  let harness: Harness;
  let raw: grpc.Client;
  let events: ReturnType<typeof createEventClient>;

  beforeAll(async () => {
    harness = await startHarness();
    raw = new grpc.Client(harness.address, grpc.credentials.createInsecure());
    events = createEventClient(harness.address);
  });
  afterEach(() => {
    harness.handled.length = 0;
    harness.outcomes.length = 0;
    harness.errors.length = 0;
    harness.setBehaviour(async () => {});
  });
  afterAll(async () => {
    raw.close();
    events.close();
    await harness.server.shutdown(1_000);
  });

  test('a committed stat event is answered with Empty', async () => {
    const { error, response } = await unary(raw, statOnMessage, {
      id: 'e1',
      user_id: 'u1',
      namespace: NAMESPACE,
      timestamp: '2026-03-10T23:59:30.5Z',
      payload: { stat_code: 'enemy_kills', latest_value: 5 },
    });
    expect(error).toBeNull();
    expect(response).toEqual({});
    expect(harness.handled).toEqual([
      {
        kind: 'statistic',
        id: 'e1',
        userId: 'u1',
        namespace: NAMESPACE,
        statCode: 'enemy_kills',
        value: 5,
        inc: 0,
        timestampMs: Date.parse('2026-03-10T23:59:30.5Z'),
      },
    ]);
    expect(harness.outcomes).toEqual(['statistic:received']);
  });

  test('a committed login event is answered with Empty', async () => {
    await events.sendLogin({ id: 'e2', userId: 'u2', namespace: NAMESPACE });
    expect(harness.handled).toEqual([
      { kind: 'login', id: 'e2', userId: 'u2', namespace: NAMESPACE, timestampMs: expect.any(Number) },
    ]);
  });

  test.each([
    ['login without user', loginOnMessage, { namespace: NAMESPACE }],
    [
      'stat without user',
      statOnMessage,
      { namespace: NAMESPACE, payload: { stat_code: 'k', latest_value: 1 } },
    ],
    ['stat without payload', statOnMessage, { user_id: 'u', namespace: NAMESPACE }],
    [
      'stat with empty stat code',
      statOnMessage,
      { user_id: 'u', namespace: NAMESPACE, payload: { latest_value: 1 } },
    ],
  ])('%s → INVALID_ARGUMENT, not handled', async (_name, method, request) => {
    const { error } = await unary(raw, method, request);
    expect(error?.code).toBe(GRPC_STATUS.INVALID_ARGUMENT);
    expect(harness.handled).toEqual([]);
    expect(harness.outcomes[0]).toEndWith(':rejected:INVALID_REQUEST');
  });

  test('an event of another namespace is acknowledged and not handled', async () => {
    await events.sendStat({ userId: 'u', namespace: 'other', statCode: 'k', value: 1 });
    await events.sendLogin({ userId: 'u', namespace: '' });
    expect(harness.handled).toEqual([]);
    expect(harness.outcomes).toEqual(['statistic:skipped:NAMESPACE', 'login:skipped:NAMESPACE']);
  });

  test.each([
    ['UNAVAILABLE', GRPC_STATUS.UNAVAILABLE],
    ['RESOURCE_EXHAUSTED', GRPC_STATUS.RESOURCE_EXHAUSTED],
    ['INTERNAL', GRPC_STATUS.INTERNAL],
  ] as const)('handle rejecting with AppError %s → status %d with its message', async (code, status) => {
    harness.setBehaviour(async () => {
      throw new AppError(code, `pipeline says ${code}`);
    });
    const { error } = await unary(raw, statOnMessage, {
      user_id: 'u',
      namespace: NAMESPACE,
      payload: { stat_code: 'k', latest_value: 1 },
    });
    expect(error?.code).toBe(status);
    expect(error?.details).toBe(`pipeline says ${code}`);
    expect(harness.outcomes).toEqual([`statistic:failed:${code}`]);
  });

  test('a { code, message } error copied across postMessage maps like an AppError', async () => {
    harness.setBehaviour(() => Promise.reject({ code: 'UNAVAILABLE', message: 'database unreachable' }));
    const { error } = await unary(raw, loginOnMessage, { user_id: 'u', namespace: NAMESPACE });
    expect(error?.code).toBe(GRPC_STATUS.UNAVAILABLE);
    expect(error?.details).toBe('database unreachable');
  });

  test('a plain Error → INTERNAL with a generic message, logged once', async () => {
    harness.setBehaviour(async () => {
      throw new Error('password=hunter2 in a stack trace');
    });
    const { error } = await unary(raw, loginOnMessage, { id: 'e9', user_id: 'u', namespace: NAMESPACE });
    expect(error?.code).toBe(GRPC_STATUS.INTERNAL);
    expect(error?.details).not.toContain('hunter2');
    expect(harness.errors).toHaveLength(1);
    expect(harness.errors[0]).toMatchObject({ kind: 'login', eventId: 'e9' });
    expect(harness.outcomes).toEqual(['login:failed:INTERNAL']);
  });

  test('a handle that throws synchronously is a failure, not a crash', async () => {
    harness.setBehaviour(() => {
      throw new AppError('RESOURCE_EXHAUSTED', 'shard backlog full');
    });
    const { error } = await unary(raw, loginOnMessage, { user_id: 'u', namespace: NAMESPACE });
    expect(error?.code).toBe(GRPC_STATUS.RESOURCE_EXHAUSTED);
  });

  test('the call is answered only after handle resolves', async () => {
    let commit = () => {};
    harness.setBehaviour(() => new Promise<void>((resolve) => (commit = resolve)));
    let answered = false;
    const pending = unary(raw, loginOnMessage, { user_id: 'u', namespace: NAMESPACE }).then((result) => {
      answered = true;
      return result;
    });
    await waitFor(() => harness.handled.length === 1);
    await Bun.sleep(20);
    expect(answered).toBe(false);
    commit();
    expect((await pending).error).toBeNull();
  });
});

test('isRelevant false → acknowledged without calling handle', async () => {
  const harness = await startHarness({ isRelevant: (event) => event.kind === 'login' });
  const client = createEventClient(harness.address);
  try {
    await client.sendStat({ userId: 'u', namespace: NAMESPACE, statCode: 'unknown_stat', value: 1 });
    await client.sendLogin({ userId: 'u', namespace: NAMESPACE });
    expect(harness.handled.map((event) => event.kind)).toEqual(['login']);
    expect(harness.outcomes).toEqual(['statistic:skipped:IRRELEVANT', 'login:received']);
  } finally {
    client.close();
    await harness.server.shutdown(1_000);
  }
});

test('beyond maxInFlight calls waiting for their commit, both services refuse at once until one is answered', async () => {
  const harness = await startHarness({ maxInFlight: 2 });
  const raw = new grpc.Client(harness.address, grpc.credentials.createInsecure());
  const commits: Array<(failure?: AppError) => void> = [];
  harness.setBehaviour(
    () =>
      new Promise<void>((resolve, reject) =>
        commits.push((failure) => (failure ? reject(failure) : resolve())),
      ),
  );
  const stat = (userId: string) =>
    unary(raw, statOnMessage, {
      user_id: userId,
      namespace: NAMESPACE,
      payload: { stat_code: 'k', latest_value: 1 },
    });
  try {
    const waiting = [stat('u1'), unary(raw, loginOnMessage, { user_id: 'u2', namespace: NAMESPACE })];
    await waitFor(() => commits.length === 2);

    const refusedStat = await stat('u3');
    const refusedLogin = await unary(raw, loginOnMessage, { user_id: 'u4', namespace: NAMESPACE });
    for (const { error } of [refusedStat, refusedLogin]) {
      expect(error?.code).toBe(GRPC_STATUS.RESOURCE_EXHAUSTED);
      expect(error?.details).toContain('EVENT_MAX_IN_FLIGHT');
    }
    // Refused calls never reached the pipeline, and events that need no commit are still acknowledged.
    expect(harness.handled.map((event) => event.userId)).toEqual(['u1', 'u2']);
    expect((await unary(raw, loginOnMessage, { user_id: 'u5', namespace: 'other' })).error).toBeNull();

    // A place comes back when its call is answered, whether it committed or failed.
    commits[0]?.();
    commits[1]?.(new AppError('UNAVAILABLE', 'database unreachable'));
    const [committed, failed] = await Promise.all(waiting);
    expect(committed?.error).toBeNull();
    expect(failed?.error?.code).toBe(GRPC_STATUS.UNAVAILABLE);
    const next = [stat('u6'), stat('u7')];
    await waitFor(() => commits.length === 4);
    for (const commit of commits.slice(2)) commit();
    for (const { error } of await Promise.all(next)) expect(error).toBeNull();
    expect(harness.outcomes).toEqual([
      'statistic:failed:RESOURCE_EXHAUSTED',
      'login:failed:RESOURCE_EXHAUSTED',
      'login:skipped:NAMESPACE',
      'statistic:received',
      'login:failed:UNAVAILABLE',
      'statistic:received',
      'statistic:received',
    ]);
  } finally {
    raw.close();
    await harness.server.shutdown(1_000);
  }
});

describe('health', () => {
  test('overall and both services are SERVING; unknown services are NOT_FOUND', async () => {
    const harness = await startHarness();
    const client = new grpc.Client(harness.address, grpc.credentials.createInsecure());
    try {
      for (const service of ['', LOGIN_SERVICE_NAME, STAT_SERVICE_NAME]) {
        const { error, response } = await unary(client, healthCheck, { service });
        expect(error).toBeNull();
        expect(response).toEqual({ status: 'SERVING' });
      }
      const { error } = await unary(client, healthCheck, { service: 'no.such.Service' });
      expect(error?.code).toBe(GRPC_STATUS.NOT_FOUND);
    } finally {
      client.close();
      await harness.server.shutdown(1_000);
    }
  });

  test('watchers see NOT_SERVING when shutdown begins, and the stream ends', async () => {
    const harness = await startHarness();
    const client = new grpc.Client(harness.address, grpc.credentials.createInsecure());
    try {
      const overall = serverStream(client, healthWatch, { service: '' });
      const stat = serverStream(client, healthWatch, { service: STAT_SERVICE_NAME });
      await waitFor(() => overall.messages.length === 1 && stat.messages.length === 1);
      expect(overall.messages).toEqual([{ status: 'SERVING' }]);

      await harness.server.shutdown(2_000);
      expect((await overall.ended).code).toBe(GRPC_STATUS.OK);
      expect(overall.messages).toEqual([{ status: 'SERVING' }, { status: 'NOT_SERVING' }]);
      expect(stat.messages).toEqual([{ status: 'SERVING' }, { status: 'NOT_SERVING' }]);
    } finally {
      client.close();
    }
  });
});

describe('reflection', () => {
  const reflectionDefinition = protoLoader.loadSync(
    require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'),
    { longs: String, enums: String, defaults: true, oneofs: true },
  );
  const reflectionInfo = methodOf(
    serviceIn(reflectionDefinition, 'grpc.reflection.v1.ServerReflection'),
    'ServerReflectionInfo',
  );

  test('list_services names the event services, health and reflection', async () => {
    const harness = await startHarness();
    const client = new grpc.Client(harness.address, grpc.credentials.createInsecure());
    try {
      const [response] = await bidiAll(client, reflectionInfo, [{ listServices: '*' }]);
      const names = (
        response as { listServicesResponse: { service: { name: string }[] } }
      ).listServicesResponse.service
        .map((service) => service.name)
        .sort();
      expect(names).toEqual(
        [
          LOGIN_SERVICE_NAME,
          STAT_SERVICE_NAME,
          'grpc.health.v1.Health',
          'grpc.reflection.v1.ServerReflection',
          'grpc.reflection.v1alpha.ServerReflection',
        ].sort(),
      );
    } finally {
      client.close();
      await harness.server.shutdown(1_000);
    }
  });

  test('file_containing_symbol describes StatItemUpdated with its field numbers', async () => {
    const harness = await startHarness();
    const client = new grpc.Client(harness.address, grpc.credentials.createInsecure());
    try {
      const [response] = await bidiAll(client, reflectionInfo, [
        { fileContainingSymbol: 'accelbyte.social.statistic.v1.StatItemUpdated' },
      ]);
      const files = (response as { fileDescriptorResponse: { fileDescriptorProto: Buffer[] } })
        .fileDescriptorResponse.fileDescriptorProto;
      const { FileDescriptorProto } = await import('protobufjs/ext/descriptor');
      const decoded = files.map((bytes) => FileDescriptorProto.toObject(FileDescriptorProto.decode(bytes)));
      type Described = { name: string; field: { name: string; number: number }[] };
      const file = decoded.find((entry) => entry['package'] === 'accelbyte.social.statistic.v1');
      const types = (file?.['messageType'] ?? []) as Described[];
      const message = types.find((type) => type.name === 'StatItemUpdated');
      expect(message?.field.find((field) => field.name === 'user_id')?.number).toBe(9);
      // The Struct it references is served too, so a client can build the whole message.
      expect(decoded.some((entry) => entry['package'] === 'google.protobuf')).toBe(true);
    } finally {
      client.close();
      await harness.server.shutdown(1_000);
    }
  });
});

describe('shutdown', () => {
  test('waits for in-flight calls to commit', async () => {
    const harness = await startHarness();
    let commit = () => {};
    harness.setBehaviour(() => new Promise<void>((resolve) => (commit = resolve)));
    const client = new grpc.Client(harness.address, grpc.credentials.createInsecure());
    try {
      const pending = unary(client, loginOnMessage, { user_id: 'u', namespace: NAMESPACE });
      await waitFor(() => harness.handled.length === 1);
      const stopped = harness.server.shutdown(5_000);
      await Bun.sleep(20);
      commit();
      expect((await pending).error).toBeNull();
      await stopped;
    } finally {
      client.close();
    }
  });

  test('cancels calls still uncommitted after the grace period, so they are not acknowledged', async () => {
    const harness = await startHarness();
    harness.setBehaviour(() => new Promise<void>(() => {}));
    const client = new grpc.Client(harness.address, grpc.credentials.createInsecure());
    try {
      const pending = unary(client, loginOnMessage, { user_id: 'u', namespace: NAMESPACE });
      await waitFor(() => harness.handled.length === 1);
      const started = performance.now();
      await harness.server.shutdown(100);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect((await pending).error?.code).not.toBe(GRPC_STATUS.OK);
    } finally {
      client.close();
    }
  });
});
