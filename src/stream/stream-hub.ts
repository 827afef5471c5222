/**
 * The live streams of this process: which players have one open, and one loop that turns change
 * notifications into events for them.
 *
 * Why one loop: every event carries the goal as it is when read, and a player must never receive an
 * older state after a newer one. The loop runs rounds one after another, and within a round its
 * reads one after another, each sending what it read before the next read starts; so whatever a
 * stream receives was read later than anything it received before, its snapshot included. A round
 * serves every pending player at once (one statement per kind of read), so the work per change is
 * one share of a batched read, whatever the number of streams, and nothing at all for players with
 * no stream here.
 *
 * A round:
 * 1. snapshots: for new streams (and live streams after the feed reconnected or a progress read
 *    failed), the outbox head, then every row; a new stream goes live at the head (or where its
 *    Last-Event-ID resumes, if earlier);
 * 2. outbox: messages after each dirty player's streams' positions, rendered with the rows read
 *    right after, sent with their positions as event ids;
 * 3. progress: the goals each progress notice names, read and sent as `goal.progress` events
 *    without ids.
 */
import type { Db } from '../db/client.ts';
import { OUTBOX_START, type OutboxCursor } from '../db/outbox.ts';
import {
  readMessagesAfter,
  readOutboxHeads,
  readPlayersGoals,
  readPlayersProgress,
} from '../db/stream-reads.ts';
import { type Catalog, type CurrentCatalog, perCatalog } from '../domain/catalog.ts';
import { AppError } from '../domain/errors.ts';
import type { ProgressNotice } from '../domain/progress-notice.ts';
import { withDeadline } from '../http/deadline.ts';
import type { Logger } from '../log.ts';
import { textOf } from '../services/byte-builder.ts';
import { type ChallengeRenderer, createChallengeRenderer } from '../services/goal-json.ts';
import { type ChangeFeed, type ChangeFeedSettings, startChangeFeed } from './change-feed.ts';
import { compareCursors, formatEventId } from './event-id.ts';
import { goalEventData, lookOf } from './goal-events.ts';
import type { HubStream, StreamInit } from './hub-stream.ts';
import { sseComment, sseEvent, sseRetry } from './sse.ts';
import type { StreamBody } from './stream-body.ts';

export interface StreamOpenRequest {
  readonly userId: string;
  /** The snapshot lists only active goals (events still come for every goal). */
  readonly activeOnly: boolean;
  /** Replay the outbox after this position (a client's Last-Event-ID). */
  readonly resumeFrom?: OutboxCursor | undefined;
}

export interface StreamHub<S = OpenStream> {
  /**
   * Registers a stream and resolves with its body once the snapshot is queued on it. Rejects with
   * UNAVAILABLE while the service shuts down, or with the database's error.
   */
  open(request: StreamOpenRequest): Promise<S>;
  openStreams(): number;
  /** Ends every stream and stops listening; later opens are refused. */
  stop(): Promise<void>;
}

/** An open stream: the response body, and a way to end it (the client went away). */
export type OpenStream = Pick<StreamBody, 'body' | 'close'>;

export interface StreamHubOptions<S extends HubStream> {
  readonly db: Db;
  /**
   * A read unanswered this long fails like a refused one. The rounds run one read after another,
   * and a read on a connection the driver broke never settles: unbounded, it would stop every
   * stream of the process for good.
   */
  readonly readTimeoutMs: number;
  /** Told when a read ran out of time: its connection may never answer again (replace the pool). */
  readonly onReadTimeout?: () => void;
  readonly catalog: CurrentCatalog;
  readonly clock: () => Date;
  readonly logger: Logger;
  readonly feed: ChangeFeedSettings;
  /** A stream quiet this long gets a comment line, which keeps proxies from closing it. */
  readonly heartbeatMs: number;
  /**
   * Every stream is a socket and a buffer: one process holds at most `maxOpen`, and one player at
   * most `maxPerPlayer` (a few tabs or devices; a leaked token cannot take the process's share).
   * Further opens are refused, not older streams closed: a closed stream reconnects, and two
   * clients over the limit would push each other out every few seconds.
   */
  readonly maxOpen: number;
  readonly maxPerPlayer: number;
  /** Makes the stream of an accepted open (in the stream thread: a relay to its body, relay-stream.ts). */
  readonly createStream: (init: StreamInit, request: StreamOpenRequest) => S;
  /** Told each time the number of open streams changes, and of each event sent. */
  readonly onOpenStreams?: (count: number) => void;
  readonly onEvent?: (type: string) => void;
}

/** Snapshots render a whole list each: a few per round keeps the changes of live streams flowing. */
const SNAPSHOTS_PER_ROUND = 50;
const MESSAGES_PER_READ = 200;
/** Rounds start at most this often; a change arriving after a quiet spell is read at once. */
const GATHER_MS = 10;
/** A message committed behind a running older transaction is read again this soon. */
const PENDING_RETRY_MS = 15;
const FAILED_ROUND_RETRY_MS = 1_000;
/** What EventSource waits before reconnecting. */
const RECONNECT_MS = 2_000;

interface Opening<S> {
  readonly stream: S;
  readonly resumeFrom: OutboxCursor | undefined;
  readonly opened: { resolve(): void; reject(error: unknown): void };
}

const closedBeforeOpen = () => new AppError('UNAVAILABLE', 'The stream closed before it opened');

export function createStreamHub<S extends HubStream>(options: StreamHubOptions<S>): StreamHub<S> {
  const { db, logger } = options;
  const streams = new Map<string, Set<S>>();
  let openCount = 0;
  const openings: Opening<S>[] = [];
  // Live streams due a fresh snapshot (the feed reconnected, or a progress read failed): a set, so
  // that a stream asked for one again while it waits is sent one.
  const resyncs = new Set<S>();
  const resyncsLater = new Set<S>();
  let resyncTimer: ReturnType<typeof setTimeout> | undefined;
  const outboxDirty = new Set<string>();
  const notices: ProgressNotice[] = [];
  let running = false;
  let lastRoundAt = Number.NEGATIVE_INFINITY;
  let stopped = false;
  let feed: ChangeFeed | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  const retryUsers = new Set<string>();
  const rendererOf = perCatalog(createChallengeRenderer);

  const read = <T>(work: Promise<T>): Promise<T> =>
    withDeadline(work, options.readTimeoutMs).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'UNAVAILABLE') options.onReadTimeout?.();
      throw error;
    });

  // Each stream gets a heartbeat once it has been quiet for heartbeatMs, checked ten times per
  // period: streams opened at different moments keep different phases, so ten thousand of them
  // are not all written in one turn of the event loop (one write each, tens of milliseconds in
  // all), and a stream with traffic gets none.
  const heartbeat = setInterval(
    () => {
      const quietSince = performance.now() - options.heartbeatMs;
      for (const set of streams.values())
        for (const stream of set)
          if (stream.state === 'live' && stream.lastSentAt <= quietSince)
            stream.send(sseComment('heartbeat'));
    },
    Math.max(10, Math.floor(options.heartbeatMs / 10)),
  );
  heartbeat.unref?.();

  const liveStreamsOf = (userId: string): S[] =>
    [...(streams.get(userId) ?? [])].filter((stream) => stream.state === 'live');

  const remove = (stream: S) => {
    const set = streams.get(stream.userId);
    if (!set?.delete(stream)) return;
    if (set.size === 0) streams.delete(stream.userId);
    openCount--;
    options.onOpenStreams?.(openCount);
  };

  const send = (stream: S, type: string, data: string, id?: string) => {
    stream.send(sseEvent(type, data, id));
    options.onEvent?.(type);
  };

  const hasWork = () => openings.length > 0 || resyncs.size > 0 || outboxDirty.size > 0 || notices.length > 0;
  const schedule = () => {
    if (running || stopped || !hasWork()) return;
    running = true;
    void (async () => {
      try {
        while (hasWork() && !stopped) {
          // Under load, notifications arrive faster than rounds end: gathering them for a few
          // milliseconds makes fewer, larger reads, and the database work per event falls.
          const wait = lastRoundAt + GATHER_MS - performance.now();
          if (wait > 0) await Bun.sleep(wait);
          lastRoundAt = performance.now();
          await round();
        }
      } catch (error) {
        // Reads handle the database's failures themselves; this is a defect, not worth the process.
        logger.error({ err: error }, 'live streams: a round failed; its notifications are dropped');
      } finally {
        running = false;
        schedule();
      }
    })();
  };
  /** Snapshots whose read failed are read again after a pause, not in the next round. */
  const resyncLater = (failed: Iterable<S>) => {
    for (const stream of failed) resyncsLater.add(stream);
    if (resyncTimer) return;
    resyncTimer = setTimeout(() => {
      resyncTimer = undefined;
      for (const stream of resyncsLater) if (stream.state === 'live') resyncs.add(stream);
      resyncsLater.clear();
      schedule();
    }, FAILED_ROUND_RETRY_MS);
  };
  const retryLater = (userIds: Iterable<string>, ms: number) => {
    for (const userId of userIds) retryUsers.add(userId);
    if (retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      for (const userId of retryUsers) if (streams.has(userId)) outboxDirty.add(userId);
      retryUsers.clear();
      schedule();
    }, ms);
  };

  async function round(): Promise<void> {
    const catalog = options.catalog();
    const renderer = rendererOf(catalog);
    await sendSnapshots(renderer);
    await sendOutboxMessages(catalog, renderer);
    await sendProgress(catalog, renderer);
  }

  async function sendSnapshots(renderer: ChallengeRenderer): Promise<void> {
    const batch: Array<{ readonly stream: S; readonly opening?: Opening<S> }> = [];
    for (const opening of openings.splice(0, SNAPSHOTS_PER_ROUND)) {
      if (opening.stream.state === 'closed') opening.opened.reject(closedBeforeOpen());
      else batch.push({ stream: opening.stream, opening });
    }
    for (const stream of resyncs) {
      if (batch.length >= SNAPSHOTS_PER_ROUND) break;
      resyncs.delete(stream);
      if (stream.state === 'live') batch.push({ stream });
    }
    if (batch.length === 0) return;
    const userIds = [...new Set(batch.map((o) => o.stream.userId))];
    let heads: Map<string, OutboxCursor>;
    let rows: Awaited<ReturnType<typeof readPlayersProgress>>;
    try {
      heads = await read(readOutboxHeads(db, userIds));
      rows = await read(readPlayersProgress(db, userIds));
    } catch (error) {
      logger.warn({ reason: String(error) }, 'live streams: snapshot read failed');
      const failed: S[] = [];
      for (const { stream, opening } of batch) {
        if (opening) {
          opening.opened.reject(error);
          stream.close();
        } else failed.push(stream);
      }
      resyncLater(failed);
      return;
    }
    const now = options.clock();
    for (const { stream, opening } of batch) {
      if (stream.state === 'closed') {
        opening?.opened.reject(closedBeforeOpen());
        continue;
      }
      if (opening) {
        const head = heads.get(stream.userId) ?? OUTBOX_START;
        const { resumeFrom } = opening;
        stream.cursor = resumeFrom && compareCursors(resumeFrom, head) < 0 ? resumeFrom : head;
        stream.send(sseRetry(RECONNECT_MS));
      }
      const list = textOf(renderer.renderList(rows.get(stream.userId) ?? [], stream.activeOnly, now));
      send(stream, 'snapshot', list, formatEventId(stream.cursor));
      stream.shown.clear();
      stream.markLive();
      opening?.opened.resolve();
      // Replays after a resume position, and catches messages committed but not yet safe at the head.
      outboxDirty.add(stream.userId);
    }
  }

  async function sendOutboxMessages(catalog: Catalog, renderer: ChallengeRenderer): Promise<void> {
    if (outboxDirty.size === 0) return;
    const dirty = [...outboxDirty];
    outboxDirty.clear();
    // Streams of one player at one position share a read.
    const positions = new Map<string, { userId: string; cursor: OutboxCursor; streams: S[] }>();
    for (const userId of dirty) {
      for (const stream of liveStreamsOf(userId)) {
        const key = `${userId}\u0000${formatEventId(stream.cursor)}`;
        const position = positions.get(key);
        if (position) position.streams.push(stream);
        else positions.set(key, { userId, cursor: stream.cursor, streams: [stream] });
      }
    }
    if (positions.size === 0) return;
    const list = [...positions.values()];
    let results: Awaited<ReturnType<typeof readMessagesAfter>>;
    let rows: Awaited<ReturnType<typeof readPlayersProgress>>;
    try {
      results = await read(readMessagesAfter(db, list, MESSAGES_PER_READ));
      // The rows the messages show, and those their `locked` depends on.
      const wanted = new Map<string, Set<string>>();
      list.forEach((position, index) => {
        for (const message of results[index]?.messages ?? []) {
          let goals = wanted.get(position.userId);
          if (!goals) {
            goals = new Set();
            wanted.set(position.userId, goals);
          }
          goals.add(message.goalId);
          for (const prerequisite of catalog.goalById.get(message.goalId)?.prerequisites ?? [])
            goals.add(prerequisite);
        }
      });
      rows = await read(readPlayersGoals(db, wanted));
    } catch (error) {
      logger.warn({ reason: String(error) }, 'live streams: outbox read failed; retrying');
      retryLater(dirty, FAILED_ROUND_RETRY_MS);
      return;
    }
    const now = options.clock();
    list.forEach((position, index) => {
      const result = results[index];
      if (!result) return;
      if (result.messages.length === MESSAGES_PER_READ) outboxDirty.add(position.userId);
      if (result.pending) retryLater([position.userId], PENDING_RETRY_MS);
      const last = result.messages.at(-1);
      if (!last) return;
      const goals = renderer.renderGoals(
        result.messages.map((m) => m.goalId),
        rows.get(position.userId) ?? [],
        now,
      );
      for (const stream of position.streams) {
        // Another read may have moved this stream on since (a resync).
        if (stream.state !== 'live' || compareCursors(stream.cursor, position.cursor) !== 0) continue;
        for (const message of result.messages) {
          const goal = goals.get(message.goalId);
          // A goal no longer configured is not shown to the player; its position still counts.
          if (!goal) continue;
          const { type, challengeId, goalId, occurredAt } = message;
          send(
            stream,
            type,
            goalEventData(type, challengeId, goalId, occurredAt, goal),
            formatEventId(message.cursor),
          );
          stream.shown.set(goalId, lookOf(goal));
        }
        stream.cursor = last.cursor;
      }
    });
  }

  async function sendProgress(catalog: Catalog, renderer: ChallengeRenderer): Promise<void> {
    if (notices.length === 0) return;
    // Each player's noticed goals, with the latest instant any notice gave the goal.
    const noticed = new Map<string, Map<string, Date>>();
    for (const { at, changes } of notices.splice(0)) {
      for (const { userId, goalIds } of changes) {
        if (liveStreamsOf(userId).length === 0) continue;
        let goals = noticed.get(userId);
        if (!goals) {
          goals = new Map();
          noticed.set(userId, goals);
        }
        for (const goalId of goalIds) goals.set(goalId, at);
      }
    }
    if (noticed.size === 0) return;
    // The noticed goals' rows, and those their `locked` depends on.
    const wanted = new Map<string, Set<string>>();
    for (const [userId, goals] of noticed) {
      const ids = new Set<string>();
      for (const goalId of goals.keys()) {
        ids.add(goalId);
        for (const prerequisite of catalog.goalById.get(goalId)?.prerequisites ?? []) ids.add(prerequisite);
      }
      wanted.set(userId, ids);
    }
    let rows: Awaited<ReturnType<typeof readPlayersGoals>>;
    try {
      rows = await read(readPlayersGoals(db, wanted));
    } catch (error) {
      // Progress is not replayed from anywhere; a fresh snapshot gives the streams the state.
      logger.warn({ reason: String(error) }, 'live streams: progress read failed; sending snapshots');
      resyncLater([...noticed.keys()].flatMap(liveStreamsOf));
      return;
    }
    const now = options.clock();
    for (const [userId, goals] of noticed) {
      const rendered = renderer.renderGoals(goals.keys(), rows.get(userId) ?? [], now);
      const targets = liveStreamsOf(userId);
      for (const [goalId, goal] of rendered) {
        const configured = catalog.goalById.get(goalId);
        const at = goals.get(goalId);
        if (!configured || !at) continue;
        // The goal as read now: a stream that already shows it (its completion streamed from the
        // outbox, or a later notice read first) is not sent it again.
        const look = lookOf(goal);
        const data = goalEventData('goal.progress', configured.challengeId, goalId, at, goal);
        for (const stream of targets) {
          if (stream.shown.get(goalId) === look) continue;
          send(stream, 'goal.progress', data);
          stream.shown.set(goalId, look);
        }
      }
    }
  }

  const startFeed = () =>
    startChangeFeed(
      options.feed,
      {
        onOutbox: (userId) => {
          if (!streams.has(userId)) return;
          outboxDirty.add(userId);
          schedule();
        },
        onProgress: (notice) => {
          const local = notice.changes.filter((change) => streams.has(change.userId));
          if (local.length === 0) return;
          notices.push({ at: notice.at, changes: local });
          schedule();
        },
        onResync: (reason) => {
          for (const [userId, set] of streams) {
            outboxDirty.add(userId);
            if (reason === 'reconnected')
              for (const stream of set) if (stream.state === 'live') resyncs.add(stream);
          }
          schedule();
        },
      },
      logger,
    );

  return {
    async open(request) {
      if (stopped) throw new AppError('UNAVAILABLE', 'The service is shutting down; reconnect');
      feed ??= startFeed();
      await feed.ready;
      if (stopped) throw new AppError('UNAVAILABLE', 'The service is shutting down; reconnect');
      // Checked after the last wait, so that opens arriving together cannot all pass.
      if (openCount >= options.maxOpen)
        throw new AppError(
          'RESOURCE_EXHAUSTED',
          `This service process holds its most live streams (${options.maxOpen}); retry later`,
        );
      if ((streams.get(request.userId)?.size ?? 0) >= options.maxPerPlayer)
        throw new AppError(
          'RESOURCE_EXHAUSTED',
          `This player already has ${options.maxPerPlayer} live streams open; close one first`,
        );
      const stream: S = options.createStream(
        { userId: request.userId, activeOnly: request.activeOnly, onClose: () => remove(stream) },
        request,
      );
      let set = streams.get(request.userId);
      if (!set) {
        set = new Set();
        streams.set(request.userId, set);
      }
      set.add(stream);
      openCount++;
      options.onOpenStreams?.(openCount);
      await new Promise<void>((resolve, reject) => {
        openings.push({ stream, resumeFrom: request.resumeFrom, opened: { resolve, reject } });
        schedule();
      });
      return stream;
    },
    openStreams: () => openCount,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(heartbeat);
      if (retryTimer) clearTimeout(retryTimer);
      if (resyncTimer) clearTimeout(resyncTimer);
      for (const set of [...streams.values()]) for (const stream of [...set]) stream.close();
      resyncs.clear();
      resyncsLater.clear();
      for (const opening of openings.splice(0))
        opening.opened.reject(new AppError('UNAVAILABLE', 'The service is shutting down; reconnect'));
      await feed?.stop();
    },
  };
}
