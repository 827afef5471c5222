/** Messages between the main thread, the ingress worker and the shard workers. */

import type { LogLevel } from '../config/service-config.ts';
import type { ErrorCode } from '../domain/errors.ts';
import type { Challenge } from '../domain/types.ts';
import type { PipelineEvent } from './pipeline-event.ts';
import type { MetricsSnapshot } from './pipeline-metrics.ts';

export interface ShardSettings {
  readonly maxBatch: number;
  readonly minWaitMs: number;
  readonly maxBacklog: number;
  readonly maxWaitMs: number;
  readonly transactionPooler: boolean;
  /** Record what every event did in the audit trail (src/domain/audit.ts). */
  readonly audit: boolean;
}

export interface ShardWorkerData {
  readonly shard: number;
  readonly logLevel: LogLevel;
  readonly databaseUrl: string;
  readonly challenges: readonly Challenge[];
  /** The stored configuration the challenges come from; absent when they were not stored. */
  readonly configId?: number | undefined;
  readonly settings: ShardSettings;
  /** Tests only: the shared clock offset (src/clock.ts); absent in production. */
  readonly clockOffset?: SharedArrayBuffer | undefined;
}

export interface IngressWorkerData {
  readonly logLevel: LogLevel;
  readonly host: string;
  readonly port: number;
  /** When set, OnMessage requires `authorization: Bearer <token>` metadata. */
  readonly authToken: string | undefined;
  /** PEM certificate chain and key; the port speaks TLS when set. */
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
  readonly namespace: string;
  readonly challenges: readonly Challenge[];
  readonly shards: number;
  /** Calls waiting for their commit at most; see `EventServerDeps.maxInFlight`. */
  readonly maxInFlight: number;
  /** A call its shard has not answered this long after it arrived is answered UNAVAILABLE (shard-router.ts). */
  readonly answerWithinMs: number;
  /** Events that cannot matter still go to a shard, so the audit records them. */
  readonly audit: boolean;
  /** Tests only: the shared clock offset (src/clock.ts); absent in production. */
  readonly clockOffset?: SharedArrayBuffer | undefined;
}

/** Ingress → shard (over a MessagePort): one message per shard per event-loop turn. */
export interface EventsMessage {
  readonly type: 'events';
  readonly events: readonly PipelineEvent[];
}

/** Shard → ingress: outcomes of a flush, in one message. */
export interface AcksMessage {
  readonly type: 'acks';
  readonly ok: readonly number[];
  readonly failed: ReadonlyArray<{
    readonly seq: number;
    readonly code: ErrorCode;
    readonly message: string;
  }>;
}

/** Main → worker. `collect` asks for a metrics snapshot, answered by a `metrics` message with the same `request`. */
export type ControlMessage =
  | { readonly type: 'connect'; readonly ports: readonly MessagePort[] }
  | { readonly type: 'collect'; readonly request: number }
  /** A new configuration: used from the next flush on; answered by `catalog-applied`. */
  | {
      readonly type: 'catalog';
      readonly request: number;
      readonly challenges: readonly Challenge[];
      readonly configId: number;
    }
  | { readonly type: 'shutdown' };

/** Worker → main. */
export type StatusMessage =
  | { readonly type: 'ready'; readonly port?: number }
  | { readonly type: 'metrics'; readonly request: number; readonly snapshot: MetricsSnapshot }
  | { readonly type: 'catalog-applied'; readonly request: number }
  | { readonly type: 'stopped'; readonly snapshot: MetricsSnapshot }
  | { readonly type: 'fatal'; readonly message: string };
