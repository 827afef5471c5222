/**
 * How a process learns that players' goals changed, whichever replica changed them.
 *
 * - `listen`: one LISTEN connection per process on `challenge_outbox` (writers name the player
 *   after their commit) and `challenge_progress` (progress notices, domain/progress-notice.ts), both
 *   sent by db/change-notices.ts. Notifications sent while the connection was down are lost, so
 *   after a reconnect the feed asks for a resync; so does a process that starts, because one that
 *   was killed may not have sent the notices of its last commits.
 * - `poll`: behind a pooler in transaction mode a session cannot LISTEN, so every interval every
 *   player with a stream here is looked up in the outbox. Progress that only moved has no outbox
 *   message and is not seen this way.
 */

import { OUTBOX_CHANNEL, PROGRESS_CHANNEL, RESTART_PAYLOAD } from '../db/change-notices.ts';
import { startNotificationListener } from '../db/notification-listener.ts';
import { type ProgressNotice, parseProgressNotice } from '../domain/progress-notice.ts';
import type { Logger } from '../log.ts';

export type ChangeFeedSettings =
  | { readonly mode: 'listen'; readonly url: string }
  | { readonly mode: 'poll'; readonly intervalMs: number };

export interface ChangeHandlers {
  /** The player has new outbox messages. */
  readonly onOutbox: (userId: string) => void;
  readonly onProgress: (notice: ProgressNotice) => void;
  /** Every player with a stream here may have changes nobody was told of (a reconnect, a poll). */
  readonly onResync: (reason: 'reconnected' | 'poll' | 'restart') => void;
}

export interface ChangeFeed {
  /** Resolves when changes committed from now on will be seen. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export function startChangeFeed(
  settings: ChangeFeedSettings,
  handlers: ChangeHandlers,
  logger: Logger,
): ChangeFeed {
  if (settings.mode === 'poll') {
    const timer = setInterval(() => handlers.onResync('poll'), settings.intervalMs);
    return {
      ready: Promise.resolve(),
      stop: async () => clearInterval(timer),
    };
  }
  let lastWarning = 0;
  const listener = startNotificationListener({
    url: settings.url,
    channels: [OUTBOX_CHANNEL, PROGRESS_CHANNEL],
    onNotification: (channel, payload) => {
      if (channel === OUTBOX_CHANNEL)
        return payload === RESTART_PAYLOAD ? handlers.onResync('restart') : handlers.onOutbox(payload);
      const notice = parseProgressNotice(payload);
      if (notice) handlers.onProgress(notice);
    },
    onListening: (reconnected) => {
      if (!reconnected) return;
      logger.info('live streams: listening again after the connection dropped; catching up');
      handlers.onResync('reconnected');
    },
    onError: (error) => {
      // A database down for a while would otherwise log every retry.
      if (Date.now() - lastWarning < 60_000) return;
      lastWarning = Date.now();
      logger.warn({ reason: String(error) }, 'live streams: cannot LISTEN for changes; retrying');
    },
  });
  return { ready: listener.ready, stop: () => listener.stop() };
}
