/** The service's Prometheus metrics, on one explicit registry. The only importer of prom-client. */
import { AggregatorRegistry, Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Other threads' metrics, each as `Registry.getMetricsAsJSON()` returned it, collected per scrape. */
export type MetricsSource = () => Promise<readonly object[][]>;

export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** Metrics of other threads (event pipeline workers) to merge into every scrape. */
  addSource(source: MetricsSource): void;
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
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'challenge_' });
  const sources: MetricsSource[] = [];
  return {
    registry,
    contentType: registry.contentType,
    addSource: (source) => void sources.push(source),
    async render() {
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
  };
}
