/** The event port's optional protection: a bearer token on OnMessage, and TLS. Real gRPC on loopback. */
import { afterAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { GRPC_STATUS } from '../../src/domain/errors.ts';
import { createEventClient } from '../../src/events/event-client.ts';
import { createEventServer } from '../../src/events/event-server.ts';
import type { IncomingEvent } from '../../src/events/incoming-event.ts';
import { bidiAll, methodOf, serviceIn, unary } from './grpc-calls.ts';

const NAMESPACE = 'game';
const TOKEN = 'platform-secret-0123456789';
const tls = {
  cert: readFileSync('tests/fixtures/tls/localhost.crt', 'utf8'),
  key: readFileSync('tests/fixtures/tls/localhost.key', 'utf8'),
};
const healthCheck = methodOf(
  serviceIn(
    protoLoader.loadSync(require.resolve('grpc-health-check/proto/health/v1/health.proto'), {
      enums: String,
      defaults: true,
    }),
    'grpc.health.v1.Health',
  ),
  'Check',
);
const reflectionInfo = methodOf(
  serviceIn(
    protoLoader.loadSync(
      require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'),
      {
        longs: String,
        enums: String,
        defaults: true,
        oneofs: true,
      },
    ),
    'grpc.reflection.v1.ServerReflection',
  ),
  'ServerReflectionInfo',
);

async function startServer(options: { authToken?: string; tls?: typeof tls }) {
  const handled: IncomingEvent[] = [];
  const server = createEventServer({
    namespace: NAMESPACE,
    ...options,
    handle: async (event) => {
      handled.push(event);
    },
  });
  const port = await server.listen('127.0.0.1', 0);
  afterAll(() => server.shutdown(500));
  return { address: `127.0.0.1:${port}`, handled };
}

const codeOf = (promise: Promise<void>) =>
  promise.then(
    () => GRPC_STATUS.OK,
    (error: { code: number }) => error.code,
  );

describe('GRPC_AUTH_TOKEN', async () => {
  const { address, handled } = await startServer({ authToken: TOKEN });

  test('OnMessage without the token, or with a wrong one, is UNAUTHENTICATED and not handled', async () => {
    const anonymous = createEventClient(address);
    const wrong = createEventClient(address, { authToken: 'guess' });
    const prefix = createEventClient(address, { authToken: TOKEN.slice(0, -1) });
    try {
      const login = { id: 'e1', userId: 'u1', namespace: NAMESPACE };
      expect(await codeOf(anonymous.sendLogin(login))).toBe(GRPC_STATUS.UNAUTHENTICATED);
      expect(await codeOf(wrong.sendLogin(login))).toBe(GRPC_STATUS.UNAUTHENTICATED);
      expect(await codeOf(prefix.sendStat({ ...login, statCode: 'k', value: 1 }))).toBe(
        GRPC_STATUS.UNAUTHENTICATED,
      );
      expect(handled).toEqual([]);
    } finally {
      anonymous.close();
      wrong.close();
      prefix.close();
    }
  });

  test('OnMessage with `authorization: Bearer <token>` is handled', async () => {
    const client = createEventClient(address, { authToken: TOKEN });
    try {
      await client.sendLogin({ id: 'e2', userId: 'u2', namespace: NAMESPACE });
      expect(handled.map((event) => event.id)).toEqual(['e2']);
    } finally {
      client.close();
    }
  });

  test('health and reflection stay open without a token', async () => {
    const raw = new grpc.Client(address, grpc.credentials.createInsecure());
    try {
      const health = await unary(raw, healthCheck, { service: '' });
      expect(health.error).toBeNull();
      expect(health.response).toEqual({ status: 'SERVING' });
      const [listing] = await bidiAll(raw, reflectionInfo, [{ listServices: '*' }]);
      expect(JSON.stringify(listing)).toContain('UserAuthenticationUserLoggedInService');
    } finally {
      raw.close();
    }
  });
});

describe('GRPC_TLS_CERT_FILE / GRPC_TLS_KEY_FILE', async () => {
  const { address, handled } = await startServer({ tls, authToken: TOKEN });
  const target = `localhost:${address.split(':')[1]}`;

  test('a TLS client that trusts the certificate is served', async () => {
    const client = createEventClient(target, { tls: { rootCerts: tls.cert }, authToken: TOKEN });
    try {
      await client.sendLogin({ id: 'tls-1', userId: 'u', namespace: NAMESPACE });
      expect(handled.map((event) => event.id)).toEqual(['tls-1']);
    } finally {
      client.close();
    }
  });

  test('a plaintext client cannot talk to the TLS port', async () => {
    const client = createEventClient(target, { authToken: TOKEN, deadlineMs: 2_000 });
    try {
      const code = await codeOf(client.sendLogin({ id: 'tls-2', userId: 'u', namespace: NAMESPACE }));
      expect(code).not.toBe(GRPC_STATUS.OK);
      expect(handled.map((event) => event.id)).not.toContain('tls-2');
    } finally {
      client.close();
    }
  });
});
