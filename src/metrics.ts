/** The service's Prometheus metrics, on one explicit registry. The only importer of prom-client. */
import { readdirSync, statSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { type ChangeNoticeCounter, createChangeNoticeCounter } from './change-notice-counter.ts';
import type { PoolUsage } from './db/pool-usage.ts';

const PREFIX = 'challenge_';

/**
 * Default metrics read from process functions Bun provides only as stubs: `_getActiveHandles`,
 * `_getActiveRequests` and `getActiveResourcesInfo` always return an empty list, so the by-type
 * gauges would never have a sample and the totals would always read 0.
 */
const STUBBED_BY_BUN = [
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_requests',
  'nodejs_active_requests_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
];

/**
 * Default metrics too costly to collect on the thread that serves HTTP, where every scrape runs:
 * whatever they take, every request in flight waits. Under Bun, `v8.getHeapSpaceStatistics()`
 * walks the whole JavaScript heap (~180 ms with two million live objects, at every scrape), and
 * prom-client counts open descriptors by listing `/proc/self/fd`, ~50 ms with the 15,000 that
 * ten thousand live streams and their database connections hold. The heap's size and use are
 * still exported (`nodejs_heap_size_*`, from `process.memoryUsage()`), and descriptors are counted
 * the cheap way (`registerOpenFdsGauge`).
 */
const TOO_COSTLY = [
  'nodejs_heap_space_size_total_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_available_bytes',
  'process_open_fds',
];

/** Other threads' metrics, each as `Registry.getMetricsAsJSON()` returned it, collected per scrape. */
export type MetricsSource = () => Promise<readonly object[][]>;

export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** Metrics of other threads (event pipeline workers) to merge into every scrape. */
  addSource(source: MetricsSource): void;
  /** A database pool whose usage is read at every scrape, labelled `pool="<role>"`. */
  addPool(role: string, usage: () => PoolUsage): void;
  /** The Prometheus text of this registry merged with every source. */
  render(): Promise<string>;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly claims: Counter<'outcome'>;
  readonly rewardGrants: Counter<'mode' | 'outcome'>;
  /** The expired-row cleanup (the original's names). */
  readonly cleanupRowsDeleted: Counter;
  readonly cleanupCycles: Counter;
  readonly cleanupErrors: Counter;
  readonly cleanupDuration: Histogram;
  /** Live event streams (src/stream/) open on this process, and events sent on them by type. */
  readonly streamsOpen: Gauge;
  readonly streamEvents: Counter<'type'>;
  /** Streams the service cut because their clients stopped reading (src/stream/stream-body.ts). */
  readonly streamsCut: Counter<'reason'>;
  /** Webhook delivery of the outbox (src/outbox/). */
  readonly outboxDelivered: Counter;
  readonly outboxRetried: Counter;
  readonly outboxParked: Counter;
  readonly outboxDeleted: Counter;
  /** Change notices this thread sent to other replicas (shards count theirs in their own registry). */
  readonly changeNotices: ChangeNoticeCounter;
  /** Reads the age in seconds of the oldest message still to deliver, at each scrape. */
  setOutboxAge(read: () => Promise<number>): void;
  /** What the live streams hold for their clients together, read at each scrape. */
  setStreamUnread(read: () => number): void;
}

/** A scrape must not hang on a database that does not answer: the age is then NaN. */
const OUTBOX_AGE_TIMEOUT_MS = 1_000;

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: PREFIX });
    for (const name of [...STUBBED_BY_BUN, ...TOO_COSTLY]) registry.removeSingleMetric(`${PREFIX}${name}`);
    registerOpenFdsGauge(registry);
    registerGcMetrics(registry);
  }
  const sources: MetricsSource[] = [];
  const pools = new Map<string, () => PoolUsage>();
  registerPoolGauges(registry, pools);
  let readOutboxAge: (() => Promise<number>) | undefined;
  new Gauge({
    name: 'challenge_outbox_oldest_undelivered_age_seconds',
    help: 'Age of the oldest outbox message the webhook has not yet received (0 when none waits; NaN when the database did not answer in time)',
    registers: [registry],
    async collect() {
      if (!readOutboxAge) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<number>((resolve) => {
        timer = setTimeout(() => resolve(Number.NaN), OUTBOX_AGE_TIMEOUT_MS);
      });
      this.set(await Promise.race([readOutboxAge().catch(() => Number.NaN), late]));
      clearTimeout(timer);
    },
  });
  let readStreamUnread: (() => number) | undefined;
  new Gauge({
    name: 'challenge_stream_unread_bytes',
    help: 'Text the live streams hold that their clients have not taken yet, together (bounded by STREAM_MAX_UNREAD_MB)',
    registers: [registry],
    collect() {
      if (readStreamUnread) this.set(readStreamUnread());
    },
  });
  return {
    registry,
    contentType: registry.contentType,
    addSource: (source) => void sources.push(source),
    addPool: (role, usage) => void pools.set(role, usage),
    setOutboxAge: (read) => {
      readOutboxAge = read;
    },
    setStreamUnread: (read) => {
      readStreamUnread = read;
    },
    async render() {
      // Each read collects every metric once more (the outbox age runs a query), so read once.
      if (sources.length === 0) return registry.metrics();
      const own = await registry.getMetricsAsJSON();
      const others = (await Promise.all(sources.map((source) => source()))).flat();
      if (others.length === 0) return registry.metrics();
      // Each worker snapshot is one metrics array; aggregate() sums same-named series across them.
      return AggregatorRegistry.aggregate([own, ...others]).metrics();
    },
    httpRequests: new Counter({
      name: 'challenge_http_requests_total',
      help: 'HTTP requests by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'challenge_http_request_duration_seconds',
      help: 'HTTP request latency by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    claims: new Counter({
      name: 'challenge_claims_total',
      help: 'Claim requests by outcome (claimed, rejected by a claim rule, grant_failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    rewardGrants: new Counter({
      name: 'challenge_reward_grant_attempts_total',
      help: 'Reward backend attempts by mode and outcome (granted, retry, failed)',
      labelNames: ['mode', 'outcome'],
      registers: [registry],
    }),
    cleanupRowsDeleted: new Counter({
      name: 'challenge_cleanup_rows_deleted_total',
      help: 'Expired progress rows of rotating goals deleted by the background cleanup',
      registers: [registry],
    }),
    cleanupCycles: new Counter({
      name: 'challenge_cleanup_cycles_total',
      help: 'Expired-row cleanup cycles run (finished or failed)',
      registers: [registry],
    }),
    cleanupErrors: new Counter({
      name: 'challenge_cleanup_errors_total',
      help: 'Expired-row cleanup cycles that failed or found the previous one still waiting on the database',
      registers: [registry],
    }),
    cleanupDuration: new Histogram({
      name: 'challenge_cleanup_duration_seconds',
      help: 'Duration of each expired-row cleanup cycle',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    streamsOpen: new Gauge({
      name: 'challenge_streams_open',
      help: 'Live event streams (GET /v1/challenges/stream) open on this process',
      registers: [registry],
    }),
    streamEvents: new Counter({
      name: 'challenge_stream_events_sent_total',
      help: 'Events sent on live streams by type (snapshot, goal.progress, goal.completed, …)',
      labelNames: ['type'],
      registers: [registry],
    }),
    streamsCut: new Counter({
      name: 'challenge_streams_cut_total',
      help: "Live streams cut because their client stopped reading: past the stream's own bound (client) or, while the process's streams hold too much unread text together, after taking nothing for a while (process)",
      labelNames: ['reason'],
      registers: [registry],
    }),
    outboxDelivered: new Counter({
      name: 'challenge_outbox_delivered_total',
      help: 'Outbox messages the notification webhook accepted (2xx), recorded as delivered',
      registers: [registry],
    }),
    outboxRetried: new Counter({
      name: 'challenge_outbox_retried_total',
      help: 'Failed notification webhook attempts scheduled for a retry',
      registers: [registry],
    }),
    outboxParked: new Counter({
      name: 'challenge_outbox_parked_total',
      help: 'Outbox messages parked after their last failed attempt (redeliver through the admin API)',
      registers: [registry],
    }),
    changeNotices: createChangeNoticeCounter([registry]),
    outboxDeleted: new Counter({
      name: 'challenge_outbox_deleted_total',
      help: 'Outbox messages deleted by the retention (OUTBOX_RETENTION_HOURS)',
      registers: [registry],
    }),
  };
}

/**
 * Pool usage as gauges read at scrape time. `in_use / max` is the pool's utilisation; anything
 * waiting means requests queue for a connection (raise DB_POOL_MAX or find the slow queries).
 */
function registerPoolGauges(registry: Registry, pools: ReadonlyMap<string, () => PoolUsage>): void {
  const gauge = (name: string, help: string, read: (usage: PoolUsage) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [pool, usage] of pools) this.set({ pool }, read(usage()));
      },
    });
  gauge(
    'challenge_db_pool_max_connections',
    'Connections the pool may open',
    (usage) => usage.maxConnections,
  );
  gauge(
    'challenge_db_pool_connections_in_use',
    'Pool connections running a query, a transaction or a reservation',
    (usage) => usage.inUse,
  );
  gauge(
    'challenge_db_pool_waiting_operations',
    'Queries, transactions and reservations waiting for a pool connection',
    (usage) => usage.waiting,
  );
}

/**
 * Open file descriptors, as prom-client names them. Linux 6.2 and later give the count as the size
 * of `/proc/self/fd`, without listing it; older kernels report 0 there, and the directory is
 * listed (its own descriptor left out).
 */
function registerOpenFdsGauge(registry: Registry): void {
  if (process.platform !== 'linux') return;
  new Gauge({
    name: `${PREFIX}process_open_fds`,
    help: 'Number of open file descriptors.',
    registers: [registry],
    collect() {
      try {
        const { size } = statSync('/proc/self/fd');
        this.set(size > 0 ? size : readdirSync('/proc/self/fd').length - 1);
      } catch {
        // /proc not mounted: no sample rather than a wrong one
      }
    },
  });
}

/**
 * prom-client times collections from `gc` performance entries, which Bun does not deliver, so its
 * histogram would never get a sample; it is left out where the runtime lacks them. JavaScriptCore
 * reports no collection or pause times to JavaScript at all. What can be seen is that a collection
 * happened: a FinalizationRegistry callback runs after the object it watches is collected, so a
 * fresh young object, planted again after each callback, is reclaimed by the next collection of
 * any kind. Collections between two callbacks count once, so the count is a lower bound. Pauses
 * show in the event loop lag gauges.
 */
function registerGcMetrics(registry: Registry): void {
  if (!PerformanceObserver.supportedEntryTypes.includes('gc')) {
    registry.removeSingleMetric(`${PREFIX}nodejs_gc_duration_seconds`);
  }
  let observed = 0;
  let reported = 0;
  const sentinels = new FinalizationRegistry<undefined>(() => {
    observed++;
    plant();
  });
  const plant = () => sentinels.register({}, undefined);
  plant();
  new Counter({
    name: `${PREFIX}gc_collections_observed_total`,
    help: 'Garbage collections seen on the main thread (a lower bound: collections between two observations count once)',
    registers: [registry],
    // `sentinels` is reachable from here, so it lives (and keeps counting) as long as the metric.
    collect() {
      this.inc(observed - reported);
      reported = observed;
    },
  });
}
