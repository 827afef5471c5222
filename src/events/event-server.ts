/**
 * The gRPC edge the platform delivers events to: both AccelByte `OnMessage` services, health and
 * reflection on one port. What "handled" means (buffering, committing, de-duplicating) belongs to
 * `deps.handle`; this module only validates, filters and maps outcomes to gRPC statuses.
 */
import * as grpc from '@grpc/grpc-js';
import type { EventSource } from '../domain/types.ts';
import { createHealth } from './health.ts';
import { createInFlightLimit } from './in-flight-limit.ts';
import { type IncomingEvent, parseLoginEvent, parseStatEvent } from './incoming-event.ts';
import { createOnMessage, type EventOutcome } from './on-message.ts';
import { LOGIN_SERVICE_NAME, loadEventProtos, STAT_SERVICE_NAME } from './proto.ts';
import { addReflection } from './reflection.ts';

export type { EventOutcome } from './on-message.ts';

export interface EventServerDeps {
  /** AB_NAMESPACE; events of another namespace are acknowledged and skipped. */
  namespace: string;
  /**
   * When set, OnMessage calls must carry metadata `authorization: Bearer <authToken>`, or they are
   * answered UNAUTHENTICATED. Health and reflection stay open: probes and tools need no secret.
   */
  authToken?: string | undefined;
  /** PEM certificate chain and private key: when set the port speaks TLS only. */
  tls?: { readonly cert: string; readonly key: string } | undefined;
  /** Resolves once the event's effect is committed; rejects with an AppError (code → gRPC status via GRPC_STATUS_OF) otherwise. */
  handle(event: IncomingEvent): Promise<void>;
  /**
   * Most calls handed to `handle` and not yet answered, over both services and all connections;
   * more are answered RESOURCE_EXHAUSTED at once. Absent: no limit.
   */
  maxInFlight?: number | undefined;
  /** Optional: true when some goal could match; false → acknowledge without calling handle. */
  isRelevant?(event: IncomingEvent): boolean;
  /** See `OnMessageDeps.recordSkipped`. */
  readonly recordSkipped?: boolean;
  /** Metrics hook, called exactly once per call; see `EventOutcome`. */
  onOutcome?(kind: EventSource, outcome: EventOutcome, code?: string): void;
  logger?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface EventServer {
  /** Binds (port 0 = any free port) and resolves with the bound port. */
  listen(host: string, port: number): Promise<number>;
  /**
   * Reports NOT_SERVING, stops accepting calls and waits for in-flight ones; after `graceMs`
   * the rest are cancelled (unacknowledged, so the platform redelivers them). Idempotent.
   */
  shutdown(graceMs: number): Promise<void>;
  /** Calls handed to `handle` and not yet answered (0 without `maxInFlight`). */
  callsInFlight(): number;
  /** What the health service reports while running: NOT_SERVING while a shard is stuck. */
  setServing(serving: boolean): void;
  readonly server: grpc.Server;
}

export function createEventServer(deps: EventServerDeps): EventServer {
  const protos = loadEventProtos();
  const server = new grpc.Server();
  const inFlight = deps.maxInFlight === undefined ? undefined : createInFlightLimit(deps.maxInFlight);
  server.addService(protos.loginService, {
    OnMessage: createOnMessage('login', parseLoginEvent, deps, inFlight),
  });
  server.addService(protos.statService, {
    OnMessage: createOnMessage('statistic', parseStatEvent, deps, inFlight),
  });
  const health = createHealth([LOGIN_SERVICE_NAME, STAT_SERVICE_NAME], 'SERVING');
  health.addToServer(server);
  addReflection(server, [protos.packageDefinition, health.packageDefinition]);

  let stopped: Promise<void> | undefined;
  const stop = (graceMs: number) =>
    new Promise<void>((resolve) => {
      health.setAll('NOT_SERVING');
      health.endWatches();
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });

  return {
    server,
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        // IPv6 literals need brackets in a gRPC target.
        const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
        const credentials = deps.tls
          ? grpc.ServerCredentials.createSsl(
              null,
              [{ cert_chain: Buffer.from(deps.tls.cert), private_key: Buffer.from(deps.tls.key) }],
              false,
            )
          : grpc.ServerCredentials.createInsecure();
        server.bindAsync(address, credentials, (error, bound) => {
          if (error) reject(error);
          else resolve(bound);
        });
      }),
    callsInFlight: () => inFlight?.inFlight ?? 0,
    setServing: (serving) => {
      if (!stopped) health.setAll(serving ? 'SERVING' : 'NOT_SERVING');
    },
    shutdown: (graceMs) => {
      stopped ??= stop(graceMs);
      return stopped;
    },
  };
}
