/**
 * Event pipeline metrics. Each worker thread owns a registry with these metrics and sends its
 * snapshot to the main thread, which merges the snapshots into the /metrics response.
 */
import {
  Counter,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';
import { type ChangeNoticeCounter, createChangeNoticeCounter } from '../change-notice-counter.ts';
import { createWorkerHeapGauge, readWorkerHeap, type WorkerHeapGauge } from '../worker-heap.ts';

export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

export interface PipelineMetrics {
  readonly registry: Registry;
  readonly events: Counter<'type' | 'outcome'>;
  readonly backlog: Gauge<'shard'>;
  /** Set by the ingress when a snapshot is taken; the shards leave it at 0. */
  readonly callsInFlight: Gauge;
  readonly flushBatchSize: Histogram<'shard'>;
  readonly flushDuration: Histogram<'shard'>;
  readonly flushErrors: Counter<'shard'>;
  readonly rowsWritten: Counter<'shard'>;
  readonly ackLatency: Histogram<'type'>;
  /** Change notices of the flushes that committed (summed with the main thread's on /metrics). */
  readonly changeNotices: ChangeNoticeCounter;
  /** Each worker thread's JavaScript heap: /metrics would otherwise show only the main thread's. */
  readonly heapUsed: WorkerHeapGauge;
}

export function createPipelineMetrics(): PipelineMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    events: new Counter({
      name: 'challenge_events_total',
      help: 'Events by type (login, statistic) and outcome (received, applied, duplicate, rejected, skipped, failed)',
      labelNames: ['type', 'outcome'],
      registers,
    }),
    backlog: new Gauge({
      name: 'challenge_shard_backlog',
      help: 'Events buffered in a shard and not yet committed',
      labelNames: ['shard'],
      registers,
    }),
    callsInFlight: new Gauge({
      name: 'challenge_event_calls_in_flight',
      help: 'Event calls waiting for their commit; at EVENT_MAX_IN_FLIGHT new ones are refused with RESOURCE_EXHAUSTED',
      registers,
    }),
    flushBatchSize: new Histogram({
      name: 'challenge_flush_batch_size',
      help: 'Events per flush transaction',
      labelNames: ['shard'],
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
      registers,
    }),
    flushDuration: new Histogram({
      name: 'challenge_flush_duration_seconds',
      help: 'Duration of one flush transaction',
      labelNames: ['shard'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    flushErrors: new Counter({
      name: 'challenge_flush_errors_total',
      help: 'Failed flush attempts (retried until the events time out, or split to isolate events the database refuses)',
      labelNames: ['shard'],
      registers,
    }),
    rowsWritten: new Counter({
      name: 'challenge_progress_rows_written_total',
      help: 'Goal progress rows and stat values written by event flushes (row versions written)',
      labelNames: ['shard'],
      registers,
    }),
    ackLatency: new Histogram({
      name: 'challenge_event_ack_seconds',
      help: 'Time from receiving an OnMessage call to answering it',
      labelNames: ['type'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    changeNotices: createChangeNoticeCounter(registers),
    heapUsed: createWorkerHeapGauge(registers),
  };
}

/** The worker's registry as a snapshot, with its heap gauge read now. */
export function takeSnapshot(metrics: PipelineMetrics, thread: string): Promise<MetricsSnapshot> {
  readWorkerHeap(metrics.heapUsed, thread);
  return metrics.registry.getMetricsAsJSON();
}
