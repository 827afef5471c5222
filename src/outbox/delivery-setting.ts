/**
 * Whether the messages every writer puts in the outbox are for delivery is one setting in the
 * database, shared by the replicas. A replica with a webhook turns it on at start and renews it
 * while it runs. A replica without one turns it off only once no replica has renewed it for
 * `idleMs`: a rolling deploy that adds or removes the webhook, or a delivering replica down for a
 * while, then loses no message the others should send; a webhook removed from every replica stops
 * queueing messages `idleMs` after the last delivering replica stopped.
 */
import { runPeriodically } from '../batched-cleanup.ts';
import type { Db } from '../db/client.ts';
import { renewWebhookDelivery, retireWebhookDelivery } from '../db/outbox-delivery.ts';
import type { Logger } from '../log.ts';

/** How long delivery stays on after the last renewal: an outage of the delivering replicas this long loses nothing. */
export const DELIVERY_IDLE_MS = 3_600_000;
const RENEW_INTERVAL_MS = 30_000;
const RETIRE_CHECK_INTERVAL_MS = 60_000;

export interface DeliverySettingOptions {
  readonly db: Db;
  /** This replica has a webhook. */
  readonly webhook: boolean;
  readonly logger: Logger;
  readonly idleMs?: number;
  readonly intervalMs?: number;
}

/**
 * Records this replica's part before resolving, failing as start-up does when the database does
 * not take it (a replica with a webhook has delivery on before it takes its first event), then
 * again on a timer.
 */
export async function startDeliverySetting(options: DeliverySettingOptions): Promise<{ stop(): void }> {
  const idleMs = options.idleMs ?? DELIVERY_IDLE_MS;
  const { logger } = options;
  const record = async () => {
    if (options.webhook) {
      if (await renewWebhookDelivery(options.db))
        logger.info('a webhook is configured: outbox messages written from now on are delivered to it');
      return;
    }
    const { retired, lastRenewedAt } = await retireWebhookDelivery(options.db, idleMs);
    if (!retired) return;
    const kept = 'outbox messages written from now on are kept for live streams, never delivered';
    if (lastRenewedAt === null) logger.info(`no replica has a webhook: ${kept}`);
    else logger.warn({ lastRenewedAt }, `no replica with a webhook has run for a while: ${kept}`);
  };
  await record();
  let failing = false;
  // A database that hangs holds one run, not one more every interval.
  let running = false;
  return runPeriodically({
    intervalMs: options.intervalMs ?? (options.webhook ? RENEW_INTERVAL_MS : RETIRE_CHECK_INTERVAL_MS),
    run: async () => {
      if (running) return;
      running = true;
      try {
        await record();
        if (failing) logger.info('the outbox delivery setting is recorded again');
        failing = false;
      } catch (error) {
        if (!failing) logger.warn({ err: error }, 'could not record the outbox delivery setting; retrying');
        failing = true;
      } finally {
        running = false;
      }
    },
  });
}
