/**
 * Shard worker entry: owns the event progress of the users hashed to it. Receives events from the
 * ingress worker, group-commits them (src/pipeline/shard-buffer.ts) and answers with acks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { countChangeNotices } from '../src/change-notice-counter.ts';
import { epochClock } from '../src/clock.ts';
import { createChangeNotices } from '../src/db/change-notices.ts';
import { createPool, type Pool, warmUp } from '../src/db/client.ts';
import { isClosedSocketWrite } from '../src/db/driver-bugs.ts';
import { createCatalog } from '../src/domain/catalog.ts';
import { createLogger } from '../src/log.ts';
import { announceBatch, applyEventBatch } from '../src/pipeline/apply-events.ts';
import { createPipelineMetrics, takeSnapshot } from '../src/pipeline/pipeline-metrics.ts';
import type {
  AcksMessage,
  ControlMessage,
  EventsMessage,
  ShardWorkerData,
  StatusMessage,
} from '../src/pipeline/protocol.ts';
import { createShardBuffer, type FlushFailure } from '../src/pipeline/shard-buffer.ts';

if (!parentPort) throw new Error('workers/shard.ts must run as a worker thread');
const parent = parentPort;
const data = workerData as ShardWorkerData;
const shard = String(data.shard);
/** Replaced by a `catalog` message; a flush takes it once, so it applies one configuration throughout. */
let catalog = createCatalog(data.challenges);
let configId = data.configId;
const metrics = createPipelineMetrics();
const logger = createLogger(data.logLevel).child({ worker: `shard-${shard}` });
const { settings } = data;
const now = epochClock(data.clockOffset);
// One connection flushes; the second sends the change notices of the flushes that committed, so
// they never wait for the next flush nor delay it.
const openPool = () =>
  createPool({
    url: data.databaseUrl,
    maxConnections: 2,
    connectTimeoutSeconds: 2,
    transactionPooler: settings.transactionPooler,
    statementTimeoutMs: settings.maxWaitMs,
    lockTimeoutMs: Math.ceil(settings.maxWaitMs / 2),
  });
let pool = openPool();
/** Whether `pool` has answered a query yet (postgres.js must learn array types before the flush's arrays). */
let warm = false;
const notices = createChangeNotices({
  db: () => pool,
  logger,
  onCount: countChangeNotices(metrics.changeNotices),
});
const send = (message: StatusMessage) => parent.postMessage(message);

// A connection lost mid-transaction makes postgres.js throw from a timer (src/db/driver-bugs.ts):
// the flush already failed and is retried on a fresh pool, so the thread must not die of it. Any
// other uncaught error is fatal, reported to the main thread, which exits the process.
process.on('uncaughtException', (error) => {
  if (isClosedSocketWrite(error)) return;
  send({ type: 'fatal', message: `uncaught error: ${error.stack ?? String(error)}` });
  process.exit(1);
});
let ingress: MessagePort | undefined;

/**
 * After a lost connection (or a flush abandoned on a database that stopped answering) the pool's
 * connection may be unusable for good (postgres.js keeps a half-written buffer when a socket closes
 * mid-write), so the retry starts on a fresh pool.
 */
const replacePool = () => {
  const failed: Pool = pool;
  pool = openPool();
  warm = false;
  failed.end({ timeout: 0 }).catch(() => {});
};

/** One log line per distinct failure: a database that stays down logs its cause once, then its recovery. */
let lastUnavailableCause = '';
const logFlushError = (error: unknown, failure: FlushFailure) => {
  const cause = error instanceof Error ? error.message : String(error);
  switch (failure.kind) {
    case 'unavailable':
      if (cause !== lastUnavailableCause) {
        logger.warn(
          { err: error, attempt: failure.attempt, batchSize: failure.batchSize },
          'event flush failed: database unavailable; the events wait and are retried until EVENT_DB_WAIT_MS, then answered UNAVAILABLE',
        );
        lastUnavailableCause = cause;
      }
      return;
    case 'split':
      logger.warn(
        { err: error, batchSize: failure.batchSize },
        'event flush failed for a reason other than availability; splitting the batch to find the events that cause it',
      );
      return;
    case 'locked':
      logger.warn(
        { err: error, eventId: failure.event.id, userId: failure.event.userId },
        "event not stored: another transaction holds the player's progress locked; answered UNAVAILABLE",
      );
      return;
    case 'rejected':
      logger.error(
        { err: error, eventId: failure.event.id, userId: failure.event.userId, code: failure.code },
        'event could not be stored and was answered with an error',
      );
      return;
  }
};

// The ingress counts arrivals and calls it answered without a commit (rejected, skipped, failed);
// the shard counts what only it knows: applied and duplicate events, batch sizes, flush timings.
const buffer = createShardBuffer({
  apply: async (events) => {
    const current = pool;
    if (!warm) {
      await warmUp(current);
      warm = pool === current;
    }
    const result = await applyEventBatch(current, catalog, events, new Date(now()), {
      audit: settings.audit,
      configId,
    });
    announceBatch(notices, result);
    return result;
  },
  now,
  maxBatch: settings.maxBatch,
  minWaitMs: settings.minWaitMs,
  maxBacklog: settings.maxBacklog,
  maxWaitMs: settings.maxWaitMs,
  flushTimeoutMs: settings.maxWaitMs,
  onAcks: (ok, failed) => {
    const message: AcksMessage = { type: 'acks', ok, failed };
    ingress?.postMessage(message);
  },
  onFlush: (result, size, seconds) => {
    for (const [type, count] of Object.entries(result.appliedByKind)) {
      if (count > 0) metrics.events.inc({ type, outcome: 'applied' }, count);
    }
    for (const [type, count] of Object.entries(result.duplicatesByKind)) {
      if (count > 0) metrics.events.inc({ type, outcome: 'duplicate' }, count);
    }
    for (const [type, count] of Object.entries(result.skippedByKind)) {
      if (count > 0) metrics.events.inc({ type, outcome: 'skipped' }, count);
    }
    metrics.rowsWritten.inc({ shard }, result.rowsWritten);
    metrics.flushBatchSize.observe({ shard }, size);
    metrics.flushDuration.observe({ shard }, seconds);
  },
  onFlushError: (error, failure) => {
    metrics.flushErrors.inc({ shard });
    logFlushError(error, failure);
    if (failure.kind === 'unavailable') replacePool();
  },
  onAbandon: replacePool,
  onRecovered: (failedAttempts) => {
    lastUnavailableCause = '';
    logger.info({ failedAttempts }, 'event flushes succeed again');
  },
});

const snapshot = async () => {
  metrics.backlog.set({ shard }, buffer.backlog());
  return takeSnapshot(metrics, `shard-${shard}`);
};

parent.on('message', async (message: ControlMessage) => {
  if (message.type === 'connect') {
    const [port] = message.ports;
    if (!port) return send({ type: 'fatal', message: 'shard got no ingress port' });
    ingress = port;
    port.onmessage = (event) => buffer.accept((event.data as EventsMessage).events);
    const initial = pool;
    try {
      await warmUp(initial);
      warm = pool === initial;
    } catch {
      // The database may be down at start; flushes retry and fail events with UNAVAILABLE meanwhile.
    }
    send({ type: 'ready' });
  } else if (message.type === 'collect') {
    send({ type: 'metrics', request: message.request, snapshot: await snapshot() });
  } else if (message.type === 'catalog') {
    catalog = createCatalog(message.challenges);
    configId = message.configId;
    send({ type: 'catalog-applied', request: message.request });
  } else if (message.type === 'shutdown') {
    await buffer.drain();
    buffer.close();
    await notices.stop(1_000);
    await pool.end({ timeout: 1 });
    send({ type: 'stopped', snapshot: await snapshot() });
  }
});
