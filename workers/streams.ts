/**
 * Stream thread entry: the live streams' hub (src/stream/stream-hub.ts) with its own database pool
 * and LISTEN connection. It reads, renders and decides what each stream is sent; the main thread
 * only writes that text to the response bodies (src/stream/stream-thread.ts), so delivering events
 * to thousands of streams does not queue up the API's requests behind it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { epochClock } from '../src/clock.ts';
import { warmUp } from '../src/db/client.ts';
import { isDatabaseUnavailable } from '../src/db/db-errors.ts';
import { isClosedSocketWrite } from '../src/db/driver-bugs.ts';
import { createRecyclablePool } from '../src/db/recyclable-pool.ts';
import { createCatalog } from '../src/domain/catalog.ts';
import { AppError } from '../src/domain/errors.ts';
import { createLogger } from '../src/log.ts';
import { createRelay, type RelayStream } from '../src/stream/relay-stream.ts';
import { createStreamHub, type StreamOpenRequest } from '../src/stream/stream-hub.ts';
import type { StreamCommand, StreamReport, StreamWorkerData } from '../src/stream/thread-protocol.ts';
import { createWorkerHeapGauge, readWorkerHeap } from '../src/worker-heap.ts';

if (!parentPort) throw new Error('workers/streams.ts must run as a worker thread');
const parent = parentPort;
const data = workerData as StreamWorkerData;
const post = (report: StreamReport) => parent.postMessage(report);
const logger = createLogger(data.logLevel).child({ worker: 'streams' });
const now = epochClock(data.clockOffset);
let catalog = createCatalog(data.challenges);

const recyclable = createRecyclablePool({
  url: data.databaseUrl,
  // The hub reads one statement at a time (its rounds run one after another).
  maxConnections: 1,
  transactionPooler: data.transactionPooler,
  statementTimeoutMs: data.statementTimeoutMs,
  lockTimeoutMs: Math.ceil(data.statementTimeoutMs / 2),
});
const pool = recyclable.pool;

// A connection lost mid-statement makes postgres.js throw from a timer and leaves the connection
// unusable (src/db/driver-bugs.ts): the read already failed and is retried, on a fresh pool.
// Anything else uncaught is a defect: the main thread ends the streams and starts a new thread,
// and clients reconnect.
process.on('uncaughtException', (error) => {
  if (isClosedSocketWrite(error)) {
    logger.warn('live streams: database connection lost mid-statement; replacing the pool');
    void recyclable.recycle();
    return;
  }
  post({ type: 'fatal', message: `uncaught error: ${error.stack ?? String(error)}` });
  process.exit(1);
});

// postgres.js must learn the array types before the reads' array parameters.
const warm = warmUp(pool).catch((error: unknown) => {
  logger.warn({ reason: String(error) }, 'live streams: the database is not answering yet');
});

const registry = new Registry();
const heapUsed = createWorkerHeapGauge([registry]);
const relay = createRelay(post);
const streams = new Map<number, RelayStream>();
/** Opens not yet made into a stream here, and those of them whose body went away meanwhile. */
const pending = new Set<number>();
const closedEarly = new Set<number>();
const idOf = new WeakMap<StreamOpenRequest, number>();
const hub = createStreamHub({
  db: pool,
  // Past the statement timeout, so that a database that answers reports its own timeout first.
  readTimeoutMs: data.statementTimeoutMs + 1_000,
  onReadTimeout: () => {
    logger.warn('live streams: a read got no answer; replacing the pool');
    void recyclable.recycle();
  },
  catalog: () => catalog,
  clock: () => new Date(now()),
  logger,
  feed: data.feed,
  heartbeatMs: data.heartbeatMs,
  maxOpen: data.maxOpen,
  maxPerPlayer: data.maxPerPlayer,
  createStream: (init, request) => {
    const id = idOf.get(request) ?? 0;
    pending.delete(id);
    const stream = relay.stream(id, {
      ...init,
      onClose: () => {
        streams.delete(id);
        init.onClose();
      },
    });
    streams.set(id, stream);
    // After the hub has registered it, so that it also leaves the hub's count.
    if (closedEarly.delete(id)) queueMicrotask(() => stream.drop());
    return stream;
  },
  onOpenStreams: (count) => relay.setOpenStreams(count),
  onEvent: (type) => relay.countEvent(type),
});

const refusal = (id: number, error: unknown): StreamReport => {
  if (error instanceof AppError)
    return {
      type: 'refused',
      id,
      code: error.code,
      message: error.message,
      retryAfterSeconds: error.retryAfterSeconds,
    };
  const unavailable = isDatabaseUnavailable(error);
  if (!unavailable) logger.error({ err: error }, 'live streams: opening a stream failed');
  return {
    type: 'refused',
    id,
    code: unavailable ? 'UNAVAILABLE' : 'INTERNAL',
    message: unavailable
      ? 'The database is unavailable; reconnect shortly'
      : 'The stream could not be opened',
    retryAfterSeconds: undefined,
  };
};

parent.on('message', async (command: StreamCommand) => {
  switch (command.type) {
    case 'open': {
      const request: StreamOpenRequest = {
        userId: command.userId,
        activeOnly: command.activeOnly,
        resumeFrom: command.resumeFrom,
      };
      idOf.set(request, command.id);
      pending.add(command.id);
      await warm;
      hub.open(request).then(
        () => post({ type: 'opened', id: command.id }),
        (error: unknown) => {
          pending.delete(command.id);
          closedEarly.delete(command.id);
          post(refusal(command.id, error));
        },
      );
      return;
    }
    case 'close': {
      const stream = streams.get(command.id);
      if (stream) stream.drop();
      else if (pending.has(command.id)) closedEarly.add(command.id);
      return;
    }
    case 'catalog':
      catalog = createCatalog(command.challenges);
      return;
    case 'collect':
      readWorkerHeap(heapUsed, 'streams');
      post({ type: 'metrics', request: command.request, snapshot: await registry.getMetricsAsJSON() });
      return;
    case 'stop':
      await hub.stop();
      await pool.end({ timeout: 5 }).catch(() => {});
      // The streams' last text goes out before the thread says it stopped.
      queueMicrotask(() => post({ type: 'stopped' }));
      return;
  }
});
