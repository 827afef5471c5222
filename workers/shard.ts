/**
 * Shard worker entry: owns the event progress of the users hashed to it. Receives events from the
 * ingress worker, group-commits them (src/pipeline/shard-buffer.ts) and answers with acks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createPool, warmUp } from '../src/db/client.ts';
import { createCatalog } from '../src/domain/catalog.ts';
import { applyEventBatch } from '../src/pipeline/apply-events.ts';
import { createPipelineMetrics } from '../src/pipeline/pipeline-metrics.ts';
import type {
  AcksMessage,
  ControlMessage,
  EventsMessage,
  ShardWorkerData,
  StatusMessage,
} from '../src/pipeline/protocol.ts';
import { createShardBuffer } from '../src/pipeline/shard-buffer.ts';

const METRICS_INTERVAL_MS = 1_000;

if (!parentPort) throw new Error('workers/shard.ts must run as a worker thread');
const parent = parentPort;
const data = workerData as ShardWorkerData;
const shard = String(data.shard);
const catalog = createCatalog(data.challenges);
const metrics = createPipelineMetrics();
const pool = createPool({
  url: data.databaseUrl,
  maxConnections: data.settings.poolSize,
  connectTimeoutSeconds: 2,
});
const send = (message: StatusMessage) => parent.postMessage(message);
let ingress: MessagePort | undefined;

// The ingress counts arrivals and calls it answered without a commit (rejected, skipped, failed);
// the shard counts what only it knows: applied and duplicate events, batch sizes, flush timings.
const buffer = createShardBuffer({
  apply: (events) => applyEventBatch(pool, catalog, events, new Date()),
  maxBatch: data.settings.maxBatch,
  minWaitMs: data.settings.minWaitMs,
  maxBacklog: data.settings.maxBacklog,
  maxWaitMs: data.settings.maxWaitMs,
  onAcks: (ok, failed) => {
    const message: AcksMessage = { type: 'acks', ok, failed };
    ingress?.postMessage(message);
    metrics.backlog.set({ shard }, buffer.backlog());
  },
  onFlush: (result, size, seconds) => {
    for (const [type, count] of Object.entries(result.appliedByKind ?? {})) {
      if (count > 0) metrics.events.inc({ type, outcome: 'applied' }, count);
    }
    for (const [type, count] of Object.entries(result.duplicatesByKind ?? {})) {
      if (count > 0) metrics.events.inc({ type, outcome: 'duplicate' }, count);
    }
    metrics.flushBatchSize.observe({ shard }, size);
    metrics.flushDuration.observe({ shard }, seconds);
  },
  onFlushError: () => metrics.flushErrors.inc({ shard }),
});

const timer = setInterval(async () => {
  metrics.backlog.set({ shard }, buffer.backlog());
  send({ type: 'metrics', snapshot: await metrics.registry.getMetricsAsJSON() });
}, METRICS_INTERVAL_MS);

parent.on('message', async (message: ControlMessage) => {
  if (message.type === 'connect') {
    const [port] = message.ports;
    if (!port) return send({ type: 'fatal', message: 'shard got no ingress port' });
    ingress = port;
    port.onmessage = (event) => buffer.accept((event.data as EventsMessage).events);
    try {
      await warmUp(pool);
    } catch {
      // The database may be down at start; flushes retry and fail events with UNAVAILABLE meanwhile.
    }
    send({ type: 'ready' });
  } else if (message.type === 'shutdown') {
    await buffer.drain();
    clearInterval(timer);
    await pool.end({ timeout: 5 });
    send({ type: 'stopped', snapshot: await metrics.registry.getMetricsAsJSON() });
  }
});
