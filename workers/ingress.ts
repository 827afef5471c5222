/**
 * Ingress worker entry: owns the one gRPC port (grpc-js cannot share a port between threads),
 * validates platform events and hands each to the shard worker that owns its user. A call is
 * answered only when that shard has committed the event.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { epochClock } from '../src/clock.ts';
import { createCatalog } from '../src/domain/catalog.ts';
import { AppError } from '../src/domain/errors.ts';
import { createEventServer } from '../src/events/event-server.ts';
import type { IncomingEvent } from '../src/events/incoming-event.ts';
import { createLogger } from '../src/log.ts';
import { createPipelineMetrics, takeSnapshot } from '../src/pipeline/pipeline-metrics.ts';
import type { ControlMessage, IngressWorkerData, StatusMessage } from '../src/pipeline/protocol.ts';
import { createShardRouter, type ShardRouter } from '../src/pipeline/shard-router.ts';

const SHUTDOWN_GRACE_MS = 8_000;

if (!parentPort) throw new Error('workers/ingress.ts must run as a worker thread');
const parent = parentPort;
const data = workerData as IngressWorkerData;
let catalog = createCatalog(data.challenges);
const metrics = createPipelineMetrics();
const logger = createLogger(data.logLevel).child({ worker: 'ingress' });
const send = (message: StatusMessage) => parent.postMessage(message);
let router: ShardRouter | undefined;

const server = createEventServer({
  namespace: data.namespace,
  authToken: data.authToken,
  tls: data.tls,
  maxInFlight: data.maxInFlight,
  recordSkipped: data.audit,
  isRelevant: (event: IncomingEvent) =>
    event.kind === 'login'
      ? catalog.loginGoals.length > 0
      : catalog.statisticGoalsByStatCode.has(event.statCode),
  handle: async (event: IncomingEvent) => {
    if (!router) throw new AppError('UNAVAILABLE', 'event pipeline is starting; redeliver the event');
    const started = performance.now();
    try {
      await router.route(
        event.namespace === data.namespace ? event : { ...event, foreignNamespace: event.namespace },
      );
    } finally {
      metrics.ackLatency.observe({ type: event.kind }, (performance.now() - started) / 1000);
    }
  },
  onOutcome: (kind, outcome) => {
    metrics.events.inc({ type: kind, outcome: 'received' });
    // 'received' from the server means committed and acknowledged: the shard counts those as applied or duplicate.
    if (outcome !== 'received') metrics.events.inc({ type: kind, outcome });
  },
  logger,
});

parent.on('message', async (message: ControlMessage) => {
  if (message.type === 'connect') {
    router = createShardRouter(message.ports, {
      answerWithinMs: data.answerWithinMs,
      now: epochClock(data.clockOffset),
      onGivenUp: (count) =>
        logger.error(
          { count, answerWithinMs: data.answerWithinMs },
          'a shard did not answer events in time; they were answered UNAVAILABLE for redelivery',
        ),
      // A liveness probe on the gRPC health service then restarts the process.
      onAnswering: (answering) => {
        server.setServing(answering);
        if (answering) logger.info('every shard answers again; the gRPC health service reports SERVING');
      },
    });
    try {
      const port = await server.listen(data.host, data.port);
      send({ type: 'ready', port });
    } catch (error) {
      send({
        type: 'fatal',
        message: `gRPC server could not listen on ${data.host}:${data.port}: ${String(error)}`,
      });
    }
  } else if (message.type === 'catalog') {
    catalog = createCatalog(message.challenges);
    send({ type: 'catalog-applied', request: message.request });
  } else if (message.type === 'collect') {
    metrics.callsInFlight.set(server.callsInFlight());
    send({ type: 'metrics', request: message.request, snapshot: await takeSnapshot(metrics, 'ingress') });
  } else if (message.type === 'shutdown') {
    await server.shutdown(SHUTDOWN_GRACE_MS);
    router?.stop();
    send({ type: 'stopped', snapshot: await takeSnapshot(metrics, 'ingress') });
  }
});
