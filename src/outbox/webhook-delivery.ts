/**
 * Delivers outbox messages to NOTIFY_WEBHOOK_URL in the background: at least once, one message at
 * a time per player in the outbox's order, and each message by one replica at a time (the SQL and
 * its reasons are in db/outbox-delivery.ts).
 *
 * Why it cannot hold up events or the API: it runs on its own small pool, no transaction is open
 * while a request is out, and at most `concurrency` requests are out at once, so a slow receiver
 * only makes deliveries wait. A receiver that fails `BREAKER_FAILURES` times in a row, as a dead
 * one does, pauses delivery (backoff capped at `MAX_PAUSE_MS`) and is then probed with one message
 * at a time until one succeeds, so an outage costs the database a few writes a minute rather than
 * two writes per attempt of every waiting player, and does not use up attempts towards parking.
 *
 * Woken by LISTEN challenge_outbox (the outbox trigger notifies at commit) when it can listen, at
 * the retry times it scheduled itself, and by a poll every `pollIntervalMs` in any case: another
 * replica's retries and leases fall due without a notification, and a transaction pooler cannot
 * carry LISTEN at all.
 */
import { OUTBOX_CHANNEL } from '../db/change-notices.ts';
import type { Pool } from '../db/client.ts';
import {
  type ClaimedMessage,
  claimDueMessages,
  markDelivered,
  markParked,
  releaseClaim,
  repairHeads,
  scheduleRetry,
  takeIntake,
} from '../db/outbox-delivery.ts';
import { backoffDelayMs } from '../domain/backoff.ts';
import type { CurrentCatalog } from '../domain/catalog.ts';
import { AppError } from '../domain/errors.ts';
import {
  afterFailure,
  type DeliveryPolicy,
  type FailureStep,
  type NotificationBody,
  notificationBody,
} from '../domain/outbox-delivery.ts';
import { withDeadline } from '../http/deadline.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { SendNotification, SendOutcome } from './webhook-sender.ts';

const INTAKE_BATCH = 2_000;
/**
 * A backlog (an /initialize wave writes a hundred messages per player) is read one batch at a
 * time with this pause between batches, so the intake takes turns with the event flush and the
 * API instead of keeping a database core busy until it has caught up.
 */
const INTAKE_PAUSE_MS = 20;
/**
 * Notifications arriving within this window are served by one intake: a busy outbox notifies at
 * every commit, and reading new messages a few at a time would cost the database far more per
 * message. A new message is seen at most this much later.
 */
const NOTIFICATION_BATCH_MS = 50;
const BREAKER_FAILURES = 5;
const MAX_PAUSE_MS = 30_000;

export interface WebhookDeliveryOptions {
  /** The delivery's own pool (a few connections); LISTEN takes one more of its own. */
  readonly pool: Pool;
  /**
   * A database call unanswered this long fails like a refused one (a statement timeout is the
   * server's, and a connection gone silent never answers at all), and the pool is replaced with
   * `recyclePool`: the loop goes on instead of stalling with the connection.
   */
  readonly databaseTimeoutMs: number;
  readonly recyclePool?: () => Promise<void>;
  /** LISTEN for new messages; false behind a transaction pooler, which cannot carry it. */
  readonly listen: boolean;
  readonly catalog: CurrentCatalog;
  readonly send: SendNotification;
  readonly policy: DeliveryPolicy;
  /** Requests out at once, across players. */
  readonly concurrency: number;
  /** How long a claimed message is this replica's; must outlast a request and its recording. */
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly metrics: Pick<Metrics, 'outboxDelivered' | 'outboxRetried' | 'outboxParked'>;
  readonly logger: Logger;
  readonly random?: () => number;
}

export interface WebhookDelivery {
  /** Looks for work now, as a notification would. */
  wake(): void;
  /** Stops claiming, cuts requests in flight short and hands their messages back. */
  stop(): Promise<void>;
}

export async function startWebhookDelivery(options: WebhookDeliveryOptions): Promise<WebhookDelivery> {
  const { pool, policy, metrics, logger } = options;
  const random = options.random ?? Math.random;
  const abort = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let pumping: Promise<void> | undefined;
  // A wake-up asked for while a pump ran: the smallest delay asked for.
  let again: number | undefined;
  let intakeWanted = true;
  let wakeTimer: ReturnType<typeof setTimeout> | undefined;
  let wakeTimerAt = Number.POSITIVE_INFINITY;
  // The earliest time this replica knows something falls due (a retry, the end of a pause).
  let dueTimer: ReturnType<typeof setTimeout> | undefined;
  let dueAt = Number.POSITIVE_INFINITY;
  let databaseFailing = false;
  let failuresInRow = 0;
  let pauses = 0;
  let pausedUntil = 0;

  let recycling: Promise<void> | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  /** `work` on the database, bounded; past its deadline the pool is replaced and LISTEN taken again. */
  const bounded = <T>(work: Promise<T>): Promise<T> =>
    withDeadline(work, options.databaseTimeoutMs).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'UNAVAILABLE' && options.recyclePool && !recycling) {
        logger.warn('outbox delivery: a database call got no answer; replacing the pool');
        const previous = unlisten;
        unlisten = undefined;
        recycling = options
          .recyclePool()
          .then(async () => {
            await previous?.().catch(() => {});
            if (!stopped) await subscribe();
          })
          .finally(() => {
            recycling = undefined;
          });
      }
      throw error;
    });

  const databaseFailed = (error: unknown, doing: string) => {
    if (!databaseFailing) logger.warn({ err: error }, `outbox delivery: ${doing} failed; retrying`);
    databaseFailing = true;
  };
  const databaseWorks = () => {
    if (databaseFailing) logger.info('outbox delivery: the database answers again');
    databaseFailing = false;
  };

  /** Looks for due messages after `delayMs`, and with `intake` reads new messages first. */
  const wake = (delayMs: number, intake = false) => {
    if (stopped) return;
    if (intake) intakeWanted = true;
    if (pumping) {
      again = Math.min(again ?? delayMs, delayMs);
      return;
    }
    const at = Date.now() + delayMs;
    if (wakeTimer && at >= wakeTimerAt) return;
    clearTimeout(wakeTimer);
    wakeTimerAt = at;
    wakeTimer = setTimeout(() => {
      wakeTimer = undefined;
      wakeTimerAt = Number.POSITIVE_INFINITY;
      pumping = pump().finally(() => {
        pumping = undefined;
        if (again !== undefined) wake(again);
      });
    }, delayMs);
  };

  const wakeAt = (at: number) => {
    if (stopped || at >= dueAt) return;
    clearTimeout(dueTimer);
    dueAt = at;
    dueTimer = setTimeout(
      () => {
        dueAt = Number.POSITIVE_INFINITY;
        wake(0);
      },
      Math.max(0, at - Date.now()),
    );
    dueTimer.unref?.();
  };

  const pump = async () => {
    again = undefined;
    try {
      if (intakeWanted) {
        intakeWanted = false;
        // Undefined: another replica is reading them right now.
        const intake = await bounded(takeIntake(pool, INTAKE_BATCH)).catch((error: unknown) => {
          intakeWanted = true;
          throw error;
        });
        if (intake?.read === INTAKE_BATCH) {
          intakeWanted = true;
          again = Math.min(again ?? INTAKE_PAUSE_MS, INTAKE_PAUSE_MS);
        }
      }
      if (stopped) return;
      if (Date.now() < pausedUntil) return wakeAt(pausedUntil);
      // While the breaker is open, one probe at a time.
      const room = (failuresInRow >= BREAKER_FAILURES ? 1 : options.concurrency) - inFlight.size;
      if (room <= 0) return;
      const claimed = await bounded(claimDueMessages(pool, room, options.leaseMs));
      databaseWorks();
      for (const message of claimed) {
        const delivery = deliver(message).finally(() => {
          inFlight.delete(delivery);
          // The mark made the player's next message due: claim it now.
          wake(0);
        });
        inFlight.add(delivery);
      }
    } catch (error) {
      databaseFailed(error, 'looking for messages');
    }
  };

  const deliver = async (message: ClaimedMessage) => {
    let body: NotificationBody | undefined;
    let unsendable: string | undefined;
    try {
      body = notificationBody(message, options.catalog());
    } catch (error) {
      // A message JSON cannot carry (an instant out of range, written by hand): no attempt can send
      // it, so it is parked at once rather than tried, and thrown, again by every replica.
      unsendable = `the message cannot be sent: ${String(error)}`;
    }
    const outcome: SendOutcome =
      body === undefined
        ? { kind: 'failed', error: unsendable ?? 'the message cannot be sent' }
        : await options.send(body, abort.signal).catch(
            (error: unknown): SendOutcome => ({
              kind: 'failed',
              error: `request failed: ${String(error)}`,
            }),
          );
    try {
      if (outcome.kind === 'aborted') {
        await bounded(releaseClaim(pool, message));
      } else if (outcome.kind === 'delivered') {
        failuresInRow = 0;
        pauses = 0;
        if (await bounded(markDelivered(pool, message))) metrics.outboxDelivered.inc();
      } else {
        // Not the receiver's failure: it does not count toward pausing delivery.
        if (unsendable === undefined) failuresInRow++;
        const step: FailureStep =
          unsendable === undefined
            ? afterFailure(policy, message.attempts, outcome.retryAfterMs, random)
            : { kind: 'park' };
        if (step.kind === 'park') {
          if (await bounded(markParked(pool, message, outcome.error))) {
            metrics.outboxParked.inc();
            logger.warn(
              {
                messageId: message.id,
                userId: message.userId,
                attempts: message.attempts,
                error: outcome.error,
              },
              'outbox message parked after its last delivery attempt; redeliver it with POST /v1/admin/outbox/{id}/redeliver',
            );
          }
        } else if (await bounded(scheduleRetry(pool, message, step.delayMs, outcome.error))) {
          metrics.outboxRetried.inc();
          wakeAt(Date.now() + step.delayMs);
        }
        if (failuresInRow >= BREAKER_FAILURES && Date.now() >= pausedUntil) pause(outcome.error);
      }
      databaseWorks();
    } catch (error) {
      // Not recorded: the lease runs out and the message is tried again.
      databaseFailed(error, 'recording a delivery attempt');
    }
  };

  const pause = (error: string) => {
    pauses++;
    const pauseMs = backoffDelayMs(
      { initialDelayMs: policy.initialDelayMs, maxDelayMs: Math.min(policy.maxDelayMs, MAX_PAUSE_MS) },
      pauses,
      random,
    );
    pausedUntil = Date.now() + pauseMs;
    if (pauses === 1)
      logger.warn(
        { failures: failuresInRow, error },
        'notification webhook failing: delivery paused, then probed with one message at a time',
      );
    wakeAt(pausedUntil);
  };

  /** LISTEN for new messages (again after the pool was replaced), when the options ask for it. */
  async function subscribe(): Promise<void> {
    if (!options.listen) return;
    try {
      // Called again after each reconnect, when notifications may have been missed.
      const subscription = await bounded(
        pool.listen(
          OUTBOX_CHANNEL,
          () => wake(NOTIFICATION_BATCH_MS, true),
          () => wake(0, true),
        ),
      );
      unlisten = subscription.unlisten;
    } catch (error) {
      logger.warn({ err: error }, `outbox delivery: LISTEN ${OUTBOX_CHANNEL} failed; polling only`);
    }
  }

  try {
    const repaired = await bounded(repairHeads(pool));
    if (repaired > 0) logger.info({ repaired }, 'outbox delivery: queues without a head mended');
  } catch (error) {
    databaseFailed(error, 'mending queues');
  }
  await subscribe();
  const poll = setInterval(() => wake(0, true), options.pollIntervalMs);
  poll.unref?.();
  wake(0, true);

  let stopping: Promise<void> | undefined;
  return {
    wake: () => wake(0, true),
    stop() {
      stopping ??= (async () => {
        stopped = true;
        clearInterval(poll);
        clearTimeout(wakeTimer);
        clearTimeout(dueTimer);
        abort.abort();
        await unlisten?.().catch(() => {});
        await pumping;
        await Promise.allSettled([...inFlight]);
      })();
      return stopping;
    },
  };
}
