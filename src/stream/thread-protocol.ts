/** Messages between the main thread, which holds the streams' response bodies, and the stream thread. */
import type { LogLevel } from '../config/service-config.ts';
import type { OutboxCursor } from '../db/outbox.ts';
import type { ErrorCode } from '../domain/errors.ts';
import type { Challenge } from '../domain/types.ts';
import type { MetricsSnapshot } from '../pipeline/pipeline-metrics.ts';
import type { ChangeFeedSettings } from './change-feed.ts';

export interface StreamWorkerData {
  readonly logLevel: LogLevel;
  readonly databaseUrl: string;
  readonly transactionPooler: boolean;
  readonly statementTimeoutMs: number;
  readonly challenges: readonly Challenge[];
  readonly feed: ChangeFeedSettings;
  readonly heartbeatMs: number;
  readonly maxOpen: number;
  readonly maxPerPlayer: number;
  /** Tests only: the shared clock offset (src/clock.ts); absent in production. */
  readonly clockOffset?: SharedArrayBuffer | undefined;
}

/** Main → stream thread. Stream ids are the main thread's. */
export type StreamCommand =
  | {
      readonly type: 'open';
      readonly id: number;
      readonly userId: string;
      readonly activeOnly: boolean;
      readonly resumeFrom?: OutboxCursor | undefined;
    }
  /** The body is gone (the client left, or it stopped reading). */
  | { readonly type: 'close'; readonly id: number }
  | { readonly type: 'catalog'; readonly challenges: readonly Challenge[] }
  /** Answered by a `metrics` report with the same `request`. */
  | { readonly type: 'collect'; readonly request: number }
  | { readonly type: 'stop' };

/**
 * Everything the streams were sent during one turn of the thread, in order: `texts[i]` goes to
 * stream `ids[i]`, and null ends it. `openStreams` is set when the count changed, `events` counts the
 * events sent by type.
 */
export interface StreamOutput {
  readonly type: 'output';
  readonly ids: readonly number[];
  readonly texts: ReadonlyArray<string | null>;
  readonly openStreams: number | undefined;
  readonly events: Readonly<Record<string, number>>;
}

/** Stream thread → main. */
export type StreamReport =
  | StreamOutput
  /** The snapshot is queued: the open succeeded. */
  | { readonly type: 'opened'; readonly id: number }
  | {
      readonly type: 'refused';
      readonly id: number;
      readonly code: ErrorCode;
      readonly message: string;
      readonly retryAfterSeconds: number | undefined;
    }
  | { readonly type: 'metrics'; readonly request: number; readonly snapshot: MetricsSnapshot }
  | { readonly type: 'stopped' }
  | { readonly type: 'fatal'; readonly message: string };
