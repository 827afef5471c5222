/**
 * `grpc.health.v1.Health` (Check, Watch, List) with the semantics of grpc-health-check.
 * That package loads health.proto from disk when it is imported, which fails inside a compiled
 * binary, so the proto text is embedded here and the small service is implemented directly.
 */
import type * as grpc from '@grpc/grpc-js';
import healthProto from 'grpc-health-check/proto/health/v1/health.proto' with { type: 'text' };
import { GRPC_STATUS } from '../domain/errors.ts';
import { packageDefinitionFromProtoTexts, serviceOf } from './proto-text.ts';

export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

interface HealthCheckRequest {
  service: string;
}
interface HealthCheckResponse {
  status: ServingStatus;
}
interface HealthListResponse {
  statuses: Record<string, HealthCheckResponse>;
}

export interface Health {
  readonly packageDefinition: ReturnType<typeof packageDefinitionFromProtoTexts>;
  addToServer(server: Pick<grpc.Server, 'addService'>): void;
  /** Sets the status of every known service, the overall one ('') included, and tells watchers. */
  setAll(status: ServingStatus): void;
  /** Ends open Watch streams, which would otherwise hold a graceful server shutdown open. */
  endWatches(): void;
}

/** `services` get the initial status; '' is the overall server status and is always present. */
export function createHealth(services: readonly string[], initial: ServingStatus): Health {
  const packageDefinition = packageDefinitionFromProtoTexts([healthProto], {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const statuses = new Map<string, ServingStatus>([['', initial]]);
  for (const service of services) statuses.set(service, initial);
  const watches = new Set<{
    service: string;
    call: grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;
  }>();

  const check: grpc.handleUnaryCall<HealthCheckRequest, HealthCheckResponse> = (call, callback) => {
    const status = statuses.get(call.request.service);
    if (status) callback(null, { status });
    else
      callback({
        code: GRPC_STATUS.NOT_FOUND,
        details: `Health status unknown for service ${call.request.service}`,
      });
  };

  const watch: grpc.handleServerStreamingCall<HealthCheckRequest, HealthCheckResponse> = (call) => {
    const entry = { service: call.request.service, call };
    watches.add(entry);
    call.on('cancelled', () => watches.delete(entry));
    call.write({ status: statuses.get(entry.service) ?? 'SERVICE_UNKNOWN' });
  };

  const list: grpc.handleUnaryCall<unknown, HealthListResponse> = (_call, callback) => {
    const result: Record<string, HealthCheckResponse> = {};
    for (const [service, status] of statuses) result[service] = { status };
    callback(null, { statuses: result });
  };

  return {
    packageDefinition,
    addToServer(server) {
      server.addService(serviceOf(packageDefinition, HEALTH_SERVICE_NAME), {
        Check: check,
        Watch: watch,
        List: list,
      });
    },
    setAll(status) {
      for (const service of statuses.keys()) statuses.set(service, status);
      for (const { service, call } of watches) {
        const current = statuses.get(service);
        if (current) call.write({ status: current });
      }
    },
    endWatches() {
      for (const { call } of watches) call.end();
      watches.clear();
    },
  };
}
