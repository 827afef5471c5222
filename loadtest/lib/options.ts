/** Command-line options shared by every scenario. */
import type { WebhookMode } from './webhook-receiver.ts';
import type { WorkloadVariant } from './workload.ts';

export interface LoadtestOptions {
  /** Length of the main measured phase, seconds; undefined = the scenario's default. */
  readonly duration?: number;
  readonly warmup: number;
  readonly rps?: number;
  readonly eps?: number;
  readonly initRps?: number;
  /** Players; undefined = the scenario's default. */
  readonly users?: number;
  /** HTTP base URL of a running service; with `--spawn` unset this is what gets measured. */
  readonly target?: string;
  readonly grpc?: string;
  readonly databaseUrl?: string;
  readonly servicePid?: number;
  readonly spawn: boolean;
  readonly serviceDir?: string;
  readonly shards?: number;
  readonly generators: number;
  readonly maxInFlight: number;
  readonly connections: number;
  readonly timeoutMs: number;
  readonly devSecret?: string;
  readonly namespace: string;
  readonly out: string;
  /** Which challenge configuration the spawned service runs (loadtest/lib/workload.ts). */
  readonly workload: WorkloadVariant;
  /** streams: how many live streams to hold open (loadtest/scenarios/streams.ts). */
  readonly streams?: number;
  /** streams: for players the load never touches. */
  readonly idleStreams?: boolean;
  /** api: how the list is fetched (loadtest/scenarios/api.ts). */
  readonly listMode?: 'identity' | 'gzip' | 'poll';
  /** With `spawn`: a misbehaving notification webhook receiver for the service (webhook-receiver.ts). */
  readonly webhook?: WebhookMode;
}
