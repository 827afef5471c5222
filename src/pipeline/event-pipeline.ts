/**
 * Main-thread side of the event pipeline: starts the shard workers and the ingress worker, wires
 * them together with MessagePorts (so events never pass through the main thread, which only serves
 * HTTP), collects their metrics, stops them in order, and treats any worker death as fatal: a
 * process that kept acknowledging into a dead shard would lose events.
 */
import { Worker } from 'node:worker_threads';
import type { LogLevel } from '../config/service-config.ts';
import type { Challenge } from '../domain/types.ts';
import type { Logger } from '../log.ts';
import { createPipelineMetrics, type MetricsSnapshot } from './pipeline-metrics.ts';
import type {
  ControlMessage,
  IngressWorkerData,
  ShardSettings,
  ShardWorkerData,
  StatusMessage,
} from './protocol.ts';

/** How much later than its own wait a shard may answer before the ingress gives its calls up. */
const SHARD_ANSWER_MARGIN_MS = 5_000;

export interface EventPipelineOptions {
  readonly databaseUrl: string;
  readonly challenges: readonly Challenge[];
  /** The stored configuration `challenges` come from (src/live-config/), named in the audit trail. */
  readonly configId?: number | undefined;
  readonly namespace: string;
  readonly host: string;
  readonly grpcPort: number;
  readonly grpcAuthToken?: string | undefined;
  readonly grpcTls?: { readonly cert: string; readonly key: string } | undefined;
  readonly shards: number;
  /** Event calls waiting for their commit at most (EVENT_MAX_IN_FLIGHT); more are refused at once. */
  readonly maxInFlight: number;
  readonly settings: ShardSettings;
  readonly logger: Logger;
  readonly logLevel: LogLevel;
  /**
   * Worker entry files. In a `bun build --compile` binary, modules are bundled into the entry's
   * chunk, so a path relative to this file would point outside the bundle: the composition root
   * (in src/, like the entry) passes paths relative to itself.
   */
  readonly workerFiles?: { readonly ingress: URL; readonly shard: URL };
  /** Called once if a worker dies or fails; the process should exit (unacknowledged events are redelivered). */
  readonly onFatal: (error: Error) => void;
  /** Tests only: a clock offset every worker reads (src/clock.ts); the system clock without it. */
  readonly clockOffset?: SharedArrayBuffer | undefined;
}

export interface EventPipeline {
  readonly grpcPort: number;
  /**
   * A metrics snapshot of every worker, taken now: a scrape shows the counts of this moment. A worker
   * that does not answer within COLLECT_TIMEOUT_MS contributes its last snapshot. Before any worker
   * reported, the families are there with no samples.
   */
  collectMetrics(): Promise<MetricsSnapshot[]>;
  /**
   * Hands a new configuration to every worker; resolves when all use it for their next flush (or
   * rejects after CATALOG_TIMEOUT_MS, when some worker has not answered: it still gets it, in order).
   */
  applyChallenges(challenges: readonly Challenge[], configId: number): Promise<void>;
  /** Stop accepting events, let in-flight calls finish, flush every shard, close pools. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const COLLECT_TIMEOUT_MS = 1_000;
const CATALOG_TIMEOUT_MS = 10_000;

export async function startEventPipeline(options: EventPipelineOptions): Promise<EventPipeline> {
  const { logger } = options;
  const snapshots = new Map<Worker, MetricsSnapshot>();
  const collecting = new Map<number, (worker: Worker, snapshot: MetricsSnapshot) => void>();
  const catalogAcks = new Map<number, (worker: Worker) => void>();
  let nextRequest = 0;
  let stopping = false;
  let fatalReported = false;
  const fatal = (error: Error) => {
    if (stopping || fatalReported) return;
    fatalReported = true;
    logger.fatal({ err: error }, 'event pipeline worker failed');
    options.onFatal(error);
  };

  const files = options.workerFiles ?? {
    ingress: new URL('../../workers/ingress.ts', import.meta.url),
    shard: new URL('../../workers/shard.ts', import.meta.url),
  };
  const watch = (worker: Worker, name: string) => {
    worker.on('error', (error: Error) => fatal(new Error(`${name} crashed: ${error.message}`)));
    worker.on('exit', (code) => fatal(new Error(`${name} exited with code ${code}`)));
    worker.on('message', (message: StatusMessage) => {
      if (message.type === 'metrics' || message.type === 'stopped') snapshots.set(worker, message.snapshot);
      if (message.type === 'metrics') collecting.get(message.request)?.(worker, message.snapshot);
      if (message.type === 'catalog-applied') catalogAcks.get(message.request)?.(worker);
      if (message.type === 'fatal') fatal(new Error(`${name}: ${message.message}`));
    });
    return worker;
  };

  const shards = Array.from({ length: options.shards }, (_, shard) =>
    watch(
      new Worker(files.shard, {
        name: `shard-${shard}`,
        workerData: {
          shard,
          logLevel: options.logLevel,
          databaseUrl: options.databaseUrl,
          challenges: options.challenges,
          configId: options.configId,
          settings: options.settings,
          clockOffset: options.clockOffset,
        } satisfies ShardWorkerData,
      }),
      `shard-${shard}`,
    ),
  );
  const ingress = watch(
    new Worker(files.ingress, {
      name: 'ingress',
      workerData: {
        logLevel: options.logLevel,
        host: options.host,
        port: options.grpcPort,
        authToken: options.grpcAuthToken,
        tls: options.grpcTls,
        namespace: options.namespace,
        challenges: options.challenges,
        shards: options.shards,
        maxInFlight: options.maxInFlight,
        // The shard answers every event by its wait (EVENT_DB_WAIT_MS); past that and a margin it is stuck.
        answerWithinMs: options.settings.maxWaitMs + SHARD_ANSWER_MARGIN_MS,
        audit: options.settings.audit,
        clockOffset: options.clockOffset,
      } satisfies IngressWorkerData,
    }),
    'ingress',
  );

  const shardsReady = shards.map((worker) => waitFor(worker, 'ready', START_TIMEOUT_MS));
  const ingressPorts: MessagePort[] = [];
  for (const worker of shards) {
    const channel = new MessageChannel();
    ingressPorts.push(channel.port1);
    const connect: ControlMessage = { type: 'connect', ports: [channel.port2] };
    worker.postMessage(connect, [channel.port2]);
  }
  await Promise.all(shardsReady);
  const ingressReady = waitFor(ingress, 'ready', START_TIMEOUT_MS);
  const connect: ControlMessage = { type: 'connect', ports: ingressPorts };
  ingress.postMessage(connect, ingressPorts);
  const ready = await ingressReady;
  const grpcPort = ready.type === 'ready' && ready.port !== undefined ? ready.port : options.grpcPort;

  const workers = [ingress, ...shards];
  // Families with no samples, so a scrape shows every metric before the workers counted anything.
  const empty = await createPipelineMetrics().registry.getMetricsAsJSON();
  const collectMetrics = async (): Promise<MetricsSnapshot[]> => {
    if (stopping) return [empty, ...snapshots.values()];
    const request = ++nextRequest;
    const fresh = new Map<Worker, MetricsSnapshot>();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, COLLECT_TIMEOUT_MS);
      collecting.set(request, (worker, snapshot) => {
        fresh.set(worker, snapshot);
        if (fresh.size === workers.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      const collect: ControlMessage = { type: 'collect', request };
      for (const worker of workers) worker.postMessage(collect);
    });
    collecting.delete(request);
    return [
      empty,
      ...workers.flatMap((worker) => {
        const snapshot = fresh.get(worker) ?? snapshots.get(worker);
        return snapshot ? [snapshot] : [];
      }),
    ];
  };

  const applyChallenges = async (challenges: readonly Challenge[], configId: number): Promise<void> => {
    const request = ++nextRequest;
    const answered = new Set<Worker>();
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `${workers.length - answered.size} event workers did not confirm the new configuration`,
              ),
            ),
          CATALOG_TIMEOUT_MS,
        );
        catalogAcks.set(request, (worker) => {
          answered.add(worker);
          if (answered.size === workers.length) {
            clearTimeout(timer);
            resolve();
          }
        });
        const message: ControlMessage = { type: 'catalog', request, challenges, configId };
        for (const worker of workers) worker.postMessage(message);
      });
    } finally {
      catalogAcks.delete(request);
    }
  };

  let stopped: Promise<void> | undefined;
  return {
    grpcPort,
    collectMetrics,
    applyChallenges,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        const shutdown: ControlMessage = { type: 'shutdown' };
        const ingressStopped = waitFor(ingress, 'stopped', STOP_TIMEOUT_MS);
        ingress.postMessage(shutdown);
        await ingressStopped.catch((error) => logger.error({ err: error }, 'ingress did not stop cleanly'));
        const shardsStopped = shards.map((worker) => waitFor(worker, 'stopped', STOP_TIMEOUT_MS));
        for (const worker of shards) worker.postMessage(shutdown);
        await Promise.all(shardsStopped).catch((error) =>
          logger.error({ err: error }, 'a shard did not stop cleanly'),
        );
        await Promise.all([ingress, ...shards].map((worker) => worker.terminate()));
      })();
      return stopped;
    },
  };
}

function waitFor(worker: Worker, type: 'ready' | 'stopped', timeoutMs: number): Promise<StatusMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.off('message', onMessage);
      reject(new Error(`worker did not report '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: StatusMessage) => {
      if (message.type === type) {
        clearTimeout(timer);
        worker.off('message', onMessage);
        resolve(message);
      } else if (message.type === 'fatal') {
        clearTimeout(timer);
        worker.off('message', onMessage);
        reject(new Error(message.message));
      }
    };
    worker.on('message', onMessage);
  });
}
