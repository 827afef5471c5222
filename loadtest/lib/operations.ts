/**
 * The operations a generator process performs, as the original's k6 scripts did: player HTTP calls
 * (mock-user header, or dev tokens when a secret is given) and gRPC events over raw HTTP/2.
 * Every event is kept until acknowledged: failures are redelivered with the same id after the
 * run, as the platform would, so the loss check can compare exact counts.
 */
import { mintDevToken } from '../../src/auth/dev-token.ts';
import { LOGIN_SERVICE_NAME, loadEventProtos, STAT_SERVICE_NAME } from '../../src/events/proto.ts';
import type { Outcome } from './arrivals.ts';
import { frame, GrpcH2Connection } from './grpc-h2.ts';
import { claimableGoal, optionalGoal, STAT_CODES, userId } from './workload.ts';

export const OPERATIONS = [
  'list',
  'list-gzip',
  'list-poll',
  'list-active',
  'initialize',
  'initialize-new',
  'initialize-wave',
  'set-active',
  'claim',
  'event',
] as const;
export type OperationName = (typeof OPERATIONS)[number];

export interface OperationContext {
  readonly httpBase: string;
  readonly grpcTarget: string;
  readonly namespace: string;
  readonly users: number;
  readonly runId: string;
  readonly generatorIndex: number;
  readonly generatorCount: number;
  readonly grpcConnections: number;
  readonly timeoutMs: number;
  readonly devSecret?: string;
}

interface PendingEvent {
  readonly path: string;
  readonly body: Buffer;
  readonly user: string;
  readonly login: boolean;
}

/** Claims may meet goals not yet completed (400) or already claimed (409): both are correct answers. */
const EXPECTED: Record<Exclude<OperationName, 'event'>, readonly number[]> = {
  list: [200],
  'list-gzip': [200],
  'list-poll': [200, 304],
  'list-active': [200],
  initialize: [200],
  'initialize-new': [200],
  'initialize-wave': [200],
  'set-active': [200],
  claim: [200, 400, 409],
};

const randomInt = (from: number, to: number) => from + Math.floor(Math.random() * (to - from + 1));

export function createOperations(context: OperationContext) {
  const protos = loadEventProtos();
  const loginPath = `/${LOGIN_SERVICE_NAME}/OnMessage`;
  const statPath = `/${STAT_SERVICE_NAME}/OnMessage`;
  let connections: GrpcH2Connection[] = [];
  const tokens = new Map<string, string>();
  const acknowledgedLogins = new Map<string, number>();
  /** The last ETag each player's list came with, sent back as a polling client does. */
  const listTags = new Map<string, string>();
  const failedEvents: PendingEvent[] = [];
  let sequence = 0;
  let waveNext = 0;

  const headersFor = async (user: string): Promise<Record<string, string>> => {
    if (!context.devSecret) return { 'x-mock-user-id': user };
    let token = tokens.get(user);
    if (!token) {
      token = await mintDevToken({ secret: context.devSecret, userId: user, namespace: context.namespace });
      tokens.set(user, token);
    }
    return { authorization: `Bearer ${token}` };
  };

  const http = async (
    name: keyof typeof EXPECTED,
    method: string,
    path: string,
    user: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ) => {
    const headers = { ...(await headersFor(user)), ...extra };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await fetch(`${context.httpBase}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(context.timeoutMs),
      });
      await response.arrayBuffer();
      if (name === 'list-poll') {
        const etag = response.headers.get('etag');
        if (etag) listTags.set(user, etag);
      }
      return { ok: EXPECTED[name].includes(response.status), status: String(response.status) };
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      return { ok: false, status: name === 'TimeoutError' ? 'timeout' : 'network' };
    }
  };

  const randomUser = () => userId(randomInt(1, context.users));

  const nextEvent = (): PendingEvent => {
    const user = randomUser();
    const id = `${context.runId}-${context.generatorIndex}-${sequence++}`;
    if (Math.random() < 0.2) {
      const message = protos.UserLoggedIn.encode({
        id,
        user_id: user,
        namespace: context.namespace,
      }).finish();
      return { path: loginPath, body: frame(message), user, login: true };
    }
    const statCode = STAT_CODES[randomInt(0, STAT_CODES.length - 1)] ?? 'wins';
    const message = protos.StatItemUpdated.encode({
      id,
      user_id: user,
      namespace: context.namespace,
      payload: {
        stat_code: statCode,
        latest_value: randomInt(0, 999),
        user_id: user,
        namespace: context.namespace,
      },
    }).finish();
    return { path: statPath, body: frame(message), user, login: false };
  };

  const deliver = async (event: PendingEvent): Promise<Outcome> => {
    if (connections.length === 0) {
      connections = Array.from(
        { length: context.grpcConnections },
        () => new GrpcH2Connection(context.grpcTarget),
      );
    }
    const connection = connections[sequence % connections.length] ?? connections[0];
    const result = connection
      ? await connection.call(event.path, event.body, context.timeoutMs)
      : { status: -1, ms: 0 };
    if (result.status === 0) {
      if (event.login) acknowledgedLogins.set(event.user, (acknowledgedLogins.get(event.user) ?? 0) + 1);
      return { ok: true, status: 'OK' };
    }
    return { ok: false, status: result.status === -1 ? 'network' : `grpc ${result.status}` };
  };

  const run = (name: OperationName): Promise<Outcome> => {
    switch (name) {
      // Uncompressed, as the original's k6 scripts fetched it (Bun's fetch asks for gzip otherwise).
      case 'list':
        return http(name, 'GET', '/v1/challenges', randomUser(), undefined, {
          'accept-encoding': 'identity',
        });
      case 'list-gzip':
        return http(name, 'GET', '/v1/challenges', randomUser(), undefined, { 'accept-encoding': 'gzip' });
      case 'list-poll': {
        const user = randomUser();
        const etag = listTags.get(user);
        return http(name, 'GET', '/v1/challenges', user, undefined, {
          'accept-encoding': 'gzip',
          ...(etag === undefined ? {} : { 'if-none-match': etag }),
        });
      }
      case 'list-active':
        return http(name, 'GET', '/v1/challenges?active_only=true', randomUser());
      case 'initialize':
        return http(name, 'POST', '/v1/challenges/initialize', randomUser());
      case 'initialize-new':
        return http(
          name,
          'POST',
          '/v1/challenges/initialize',
          `new-${context.runId}-${context.generatorIndex}-${sequence++}`,
        );
      case 'initialize-wave': {
        const user = userId(1 + context.generatorIndex + context.generatorCount * waveNext++);
        return http(name, 'POST', '/v1/challenges/initialize', user);
      }
      case 'set-active': {
        const { challengeId, goalId } = optionalGoal(randomInt(1, 10), randomInt(11, 50));
        return http(name, 'PUT', `/v1/challenges/${challengeId}/goals/${goalId}/active`, randomUser(), {
          isActive: Math.random() < 0.5,
        });
      }
      case 'claim': {
        const { challengeId, goalId } = claimableGoal(randomInt(1, 10));
        return http(name, 'POST', `/v1/challenges/${challengeId}/goals/${goalId}/claim`, randomUser());
      }
      case 'event': {
        const event = nextEvent();
        return deliver(event).then((outcome) => {
          if (!outcome.ok) failedEvents.push(event);
          return outcome;
        });
      }
    }
  };

  /**
   * Redelivers failed events (same ids) until acknowledged or `attempts` run out each, `parallel`
   * at a time with backoff, as the platform's retries would.
   */
  const redeliver = async (
    attempts = 20,
    parallel = 32,
  ): Promise<{ redelivered: number; undeliverable: number }> => {
    const pending = failedEvents.splice(0);
    if (pending.length > 0)
      console.error(`generator ${context.generatorIndex}: redelivering ${pending.length} failed events`);
    let undeliverable = 0;
    let next = 0;
    const worker = async () => {
      while (next < pending.length) {
        const event = pending[next++];
        if (!event) break;
        let delivered = false;
        for (let attempt = 0; attempt < attempts && !delivered; attempt++) {
          delivered = (await deliver(event)).ok;
          if (!delivered) await Bun.sleep(Math.min(2_000, 50 * 2 ** attempt));
        }
        if (!delivered) undeliverable++;
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    return { redelivered: pending.length - undeliverable, undeliverable };
  };

  return {
    run,
    redeliver,
    /** Users in this generator's share of an initialize wave. */
    waveSize: (users: number) =>
      Math.ceil(Math.max(0, users - context.generatorIndex) / context.generatorCount),
    acknowledgedLogins: () => [...acknowledgedLogins.entries()],
    close: () => {
      for (const connection of connections) connection.close();
    },
  };
}
