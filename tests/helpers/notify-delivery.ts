/**
 * A webhook delivery loop on a test database, wired as service.ts wires it (its own pool, the real
 * sender), with short backoffs so retries and parking happen within a test.
 */
import { warmUp } from '../../src/db/client.ts';
import { createRecyclablePool } from '../../src/db/recyclable-pool.ts';
import type { CurrentCatalog } from '../../src/domain/catalog.ts';
import type { DeliveryPolicy } from '../../src/domain/outbox-delivery.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics, type Metrics } from '../../src/metrics.ts';
import { startWebhookDelivery, type WebhookDelivery } from '../../src/outbox/webhook-delivery.ts';
import { createWebhookSender } from '../../src/outbox/webhook-sender.ts';
import { RECEIVER_SECRET } from './webhook-receiver.ts';

export interface TestDelivery extends AsyncDisposable {
  readonly delivery: WebhookDelivery;
  readonly metrics: Metrics;
  stop(): Promise<void>;
}

export async function startTestDelivery(options: {
  readonly databaseUrl: string;
  readonly url: string;
  readonly catalog: CurrentCatalog;
  readonly policy?: Partial<DeliveryPolicy>;
  readonly concurrency?: number;
  readonly listen?: boolean;
  readonly pollIntervalMs?: number;
  readonly leaseMs?: number;
  readonly timeoutMs?: number;
  readonly databaseTimeoutMs?: number;
}): Promise<TestDelivery> {
  const recyclable = createRecyclablePool({
    url: options.databaseUrl,
    maxConnections: 3,
    planEachStatement: true,
    asynchronousCommit: true,
  });
  const { pool } = recyclable;
  await warmUp(pool);
  const metrics = createMetrics({ defaultMetrics: false });
  const timeoutMs = options.timeoutMs ?? 2_000;
  const delivery = await startWebhookDelivery({
    pool,
    databaseTimeoutMs: options.databaseTimeoutMs ?? 5_000,
    recyclePool: () => recyclable.recycle(),
    listen: options.listen ?? true,
    catalog: options.catalog,
    send: createWebhookSender({ url: options.url, secret: RECEIVER_SECRET, timeoutMs }),
    policy: { maxAttempts: 1_000, initialDelayMs: 20, maxDelayMs: 200, ...options.policy },
    concurrency: options.concurrency ?? 4,
    leaseMs: options.leaseMs ?? timeoutMs + 2_000,
    pollIntervalMs: options.pollIntervalMs ?? 200,
    metrics,
    logger: createLogger(process.env['TEST_LOG_LEVEL'] === 'debug' ? 'debug' : 'fatal'),
  });
  const stop = async () => {
    await delivery.stop();
    await pool.end({ timeout: 5 });
  };
  return { delivery, metrics, stop, [Symbol.asyncDispose]: stop };
}

/** Resolves once `done()` holds, checking every 20 ms; fails with `what` after `timeoutMs`. */
export async function eventually(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** What a counter reads now. */
export async function counterValue(metrics: Metrics, name: string): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  return values.reduce((sum, value) => sum + value.value, 0);
}
