/**
 * A client that sends events the way the platform does, for the CLI, tests and load tools.
 * A rejected promise carries the grpc-js `ServiceError` (its `code` is the gRPC status).
 */
import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import { loadEventProtos } from './proto.ts';

export interface LoginEventInput {
  id?: string;
  userId: string;
  namespace: string;
  /** When the event happened (the platform's `timestamp`); now when left out. */
  timestamp?: Date;
}

export interface StatEventInput extends LoginEventInput {
  statCode: string;
  value: number;
  /** The update's own increment (`payload.inc`), which a relative goal's first event counts. */
  inc?: number;
}

export interface EventClient {
  sendLogin(event: LoginEventInput): Promise<void>;
  sendStat(event: StatEventInput): Promise<void>;
  close(): void;
}

export interface EventClientOptions {
  /** Per-call deadline; the default is generous because the server answers only after a commit. */
  deadlineMs?: number;
  /** Sent as `authorization: Bearer <token>` (the service's GRPC_AUTH_TOKEN). */
  authToken?: string | undefined;
  /**
   * Connect with TLS, trusting these PEM root certificates (undefined: the system's roots).
   * `serverName` is the name the certificate must carry when it differs from the target's host
   * (a target given as an IP address, or through a proxy).
   */
  tls?: { readonly rootCerts?: string | undefined; readonly serverName?: string | undefined } | undefined;
}

function onMessageOf(service: protoLoader.ServiceDefinition): protoLoader.MethodDefinition<object, object> {
  const method = service['OnMessage'];
  if (!method) throw new Error('event service has no OnMessage method');
  return method;
}

export function createEventClient(target: string, options: EventClientOptions = {}): EventClient {
  const protos = loadEventProtos();
  const deadlineMs = options.deadlineMs ?? 30_000;
  const credentials = options.tls
    ? grpc.credentials.createSsl(options.tls.rootCerts ? Buffer.from(options.tls.rootCerts) : null)
    : grpc.credentials.createInsecure();
  const serverName = options.tls?.serverName;
  const client = new grpc.Client(
    target,
    credentials,
    serverName ? { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName } : {},
  );
  const metadata = new grpc.Metadata();
  if (options.authToken) metadata.set('authorization', `Bearer ${options.authToken}`);

  const call = (method: protoLoader.MethodDefinition<object, object>, message: object) =>
    new Promise<void>((resolve, reject) => {
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        message,
        metadata,
        { deadline: Date.now() + deadlineMs },
        (error) => {
          if (error) reject(error);
          else resolve();
        },
      );
    });

  const login = onMessageOf(protos.loginService);
  const stat = onMessageOf(protos.statService);
  const envelope = (event: LoginEventInput, name: string) => ({
    id: event.id ?? '',
    version: 1,
    name,
    namespace: event.namespace,
    timestamp: (event.timestamp ?? new Date()).toISOString(),
    user_id: event.userId,
  });

  return {
    sendLogin: (event) => call(login, envelope(event, 'userLoggedIn')),
    sendStat: (event) =>
      call(stat, {
        ...envelope(event, 'statItemUpdated'),
        payload: {
          namespace: event.namespace,
          user_id: event.userId,
          stat_code: event.statCode,
          latest_value: event.value,
          inc: event.inc ?? 0,
        },
      }),
    close: () => client.close(),
  };
}
