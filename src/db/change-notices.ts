/**
 * Tells every replica, after a commit, whose goals changed: `challenge_outbox` names a player with
 * new outbox messages (webhook deliverers and live streams read them), `challenge_progress` carries
 * progress notices (domain/progress-notice.ts) for changes the outbox does not record.
 *
 * Writers send them after their transaction commits, never inside it. A transaction that calls
 * pg_notify takes a lock of the whole cluster before it commits and holds it until its commit
 * record is on disk, so writers that notify commit one after another, one disk flush each, and one
 * slow flush holds every writer behind it. The notices go out here in a transaction of their own
 * that does not wait for the disk, a batch per statement, coalescing the players named meanwhile.
 *
 * A notice is a wake-up, not the data: a listener reads the outbox or the rows. A notice lost (the
 * process killed between a commit and its notice, a database that refused the statement and was
 * then left) only delays what it announced: webhook deliverers also poll, a live stream sees the
 * player's messages at the player's next notice, and a starting process asks every listener to
 * catch up (`announceRestart`). Progress that only moved and whose notice was lost shows with the
 * player's next change.
 */
import type { Logger } from '../log.ts';
import type { Db, Pool } from './client.ts';

export const OUTBOX_CHANNEL = 'challenge_outbox';
export const PROGRESS_CHANNEL = 'challenge_progress';
/** On `challenge_outbox` instead of a player: a process started, and every listener catches up. */
export const RESTART_PAYLOAD = '';

export interface ChangeNotices {
  /** After a commit: these players have new outbox messages (naming one without is harmless). */
  outboxChanged(userIds: Iterable<string>): void;
  /** After a commit: progress notice payloads (domain/progress-notice.ts). */
  progressMoved(payloads: readonly string[]): void;
  /** Every listener of every replica catches up with the outbox, as after a missed notification. */
  announceRestart(): void;
  /** Resolves once nothing is queued: what was queued before the call has been sent. */
  settled(): Promise<void>;
  /** Sends what is queued (waiting at most `timeoutMs`), then accepts nothing more. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface ChangeNoticeOptions {
  /** The pool to send on; a function, for a caller that replaces its pool after a failure. */
  readonly db: () => Pool;
  readonly logger: Logger;
  /** Players and payloads kept while the database refuses them; beyond it the oldest are dropped. */
  readonly maxQueued?: number;
  /**
   * And the characters of the progress payloads kept (up to ~8,000 each, where a player's name is a
   * few dozen), so that the count alone does not let a long outage hold hundreds of megabytes in
   * every thread that sends notices.
   */
  readonly maxQueuedChars?: number;
  /** Told how many notices each statement sent, had refused (kept for a retry), or dropped. */
  readonly onCount?: (outcome: ChangeNoticeOutcome, count: number) => void;
}

/**
 * What became of queued notices: `sent`; `refused` by the database (kept and retried, so a notice
 * refused twice counts twice); `dropped` from a full queue during a long outage.
 */
export type ChangeNoticeOutcome = 'sent' | 'refused' | 'dropped';

/** Notifications per statement: what queued up during an outage goes out in bounded statements. */
const MAX_BATCH = 5_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

export function createChangeNotices(options: ChangeNoticeOptions): ChangeNotices {
  const maxQueued = options.maxQueued ?? 100_000;
  const maxQueuedChars = options.maxQueuedChars ?? 16 * 1024 * 1024;
  let players = new Set<string>();
  let progress: string[] = [];
  let progressChars = 0;
  const charsOf = (payloads: readonly string[]) => payloads.reduce((sum, payload) => sum + payload.length, 0);
  let sending: Promise<void> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let dropped = 0;
  let stopped = false;
  const waiters: Array<() => void> = [];

  const count = (outcome: ChangeNoticeOutcome, n: number) => {
    if (n > 0) options.onCount?.(outcome, n);
  };
  const queued = () => players.size + progress.length;
  const release = () => {
    if (queued() > 0 && !stopped) return;
    for (const resolve of waiters.splice(0)) resolve();
  };

  const sendQueued = async () => {
    while (queued() > 0) {
      const batch = { players: [...players].slice(0, MAX_BATCH), progress: progress.slice(0, MAX_BATCH) };
      for (const userId of batch.players) players.delete(userId);
      progress = progress.slice(batch.progress.length);
      progressChars -= charsOf(batch.progress);
      try {
        await sendNotices(options.db(), batch.players, batch.progress);
        count('sent', batch.players.length + batch.progress.length);
        if (failures > 0) options.logger.info({ failures, dropped }, 'change notices are sent again');
        failures = 0;
        dropped = 0;
      } catch (error) {
        // Put back in front of what arrived meanwhile, then wait before trying again.
        players = new Set([...batch.players, ...players]);
        progress = [...batch.progress, ...progress];
        progressChars += charsOf(batch.progress);
        count('refused', batch.players.length + batch.progress.length);
        trim();
        if (failures === 0)
          options.logger.warn(
            { err: error },
            'change notices failed: live streams on other replicas see these changes late; retrying',
          );
        failures++;
        if (!stopped) {
          const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(failures - 1, 10));
          retryTimer = setTimeout(() => {
            retryTimer = undefined;
            schedule();
          }, delay);
        }
        return;
      }
    }
  };

  /**
   * Keeps the newest `maxQueued` (and progress payloads within `maxQueuedChars`): a long outage
   * drops the oldest, which polls and restarts cover.
   */
  const trim = () => {
    let fromChars = 0;
    for (let chars = progressChars; chars > maxQueuedChars && fromChars < progress.length; fromChars++)
      chars -= (progress[fromChars] as string).length;
    const excess = Math.max(queued() - maxQueued, fromChars);
    if (excess <= 0) return;
    dropped += excess;
    count('dropped', excess);
    const fromProgress = Math.min(excess, progress.length);
    progressChars -= charsOf(progress.slice(0, fromProgress));
    progress = progress.slice(fromProgress);
    let fromPlayers = excess - fromProgress;
    for (const userId of players) {
      if (fromPlayers-- <= 0) break;
      players.delete(userId);
    }
  };

  const schedule = () => {
    if (sending || retryTimer) return;
    // Started on the next turn, so that a burst of commits shares one statement.
    sending = new Promise<void>((resolve) => setImmediate(resolve)).then(sendQueued).finally(() => {
      sending = undefined;
      if (queued() > 0 && !retryTimer && !stopped) schedule();
      else release();
    });
  };

  const settled = (): Promise<void> => {
    if (queued() === 0 && !sending) return Promise.resolve();
    return new Promise((resolve) => waiters.push(resolve));
  };

  const enqueue = (add: () => void) => {
    if (stopped) return;
    add();
    trim();
    schedule();
  };

  return {
    outboxChanged(userIds) {
      enqueue(() => {
        for (const userId of userIds) players.add(userId);
      });
    },
    progressMoved(payloads) {
      if (payloads.length > 0)
        enqueue(() => {
          progress.push(...payloads);
          progressChars += charsOf(payloads);
        });
    },
    announceRestart() {
      enqueue(() => players.add(RESTART_PAYLOAD));
    },
    settled,
    async stop(timeoutMs = 2_000) {
      if (retryTimer) {
        clearTimeout(retryTimer);
        retryTimer = undefined;
        schedule();
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        settled(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      stopped = true;
      clearTimeout(retryTimer);
      release();
    },
  };
}

/**
 * One statement, its own transaction: the notifications go out at its commit, which does not wait
 * for the disk (`set_config(…, true)` lasts until that commit), so the cluster-wide lock a
 * notifying commit holds is held for microseconds.
 */
export async function sendNotices(
  db: Db,
  players: readonly string[],
  progressPayloads: readonly string[],
): Promise<void> {
  if (players.length === 0 && progressPayloads.length === 0) return;
  const channels = [...players.map(() => OUTBOX_CHANNEL), ...progressPayloads.map(() => PROGRESS_CHANNEL)];
  const payloads = [...players, ...progressPayloads];
  await db`
    select pg_notify(n.channel, n.payload)
    from (select set_config('synchronous_commit', 'off', true)) as asynchronous_commit,
      unnest(${channels}::text[], ${payloads}::text[]) as n(channel, payload)`;
}
