/**
 * Change notices go out after the writers' commits, from their own transaction: listeners on other
 * connections get each player once per batch, on the right channel; a notice the database refused
 * is sent once it answers again; stopping sends what is queued.
 */
import { afterAll, expect, test } from 'bun:test';
import {
  type ChangeNoticeOptions,
  createChangeNotices,
  OUTBOX_CHANNEL,
  PROGRESS_CHANNEL,
  RESTART_PAYLOAD,
} from '../../src/db/change-notices.ts';
import { createPool } from '../../src/db/client.ts';
import { createLogger } from '../../src/log.ts';
import { eventually } from '../helpers/notify-delivery.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
const received: Array<{ channel: string; payload: string }> = [];
const listeners = await Promise.all(
  [OUTBOX_CHANNEL, PROGRESS_CHANNEL].map((channel) =>
    db.pool.listen(channel, (payload) => received.push({ channel, payload })),
  ),
);
afterAll(async () => {
  for (const listener of listeners) await listener.unlisten();
  await db.drop();
});
const logger = createLogger('fatal');
/** A database that refuses every statement until `reachable` is set, then the test database. */
function outageUntilReachable() {
  // Port 1 on loopback: nothing listens there, so every attempt fails at once.
  const down = createPool({
    url: 'postgres://nobody@127.0.0.1:1/none',
    maxConnections: 1,
    connectTimeoutSeconds: 1,
  });
  const outage = {
    reachable: false,
    pool: () => (outage.reachable ? db.pool : down),
    end: () => down.end({ timeout: 0 }),
  };
  return outage;
}
const tagged = (tag: string) => received.filter((notice) => notice.payload.includes(tag));

test('players go out on challenge_outbox once per batch, progress notices on challenge_progress', async () => {
  const notices = createChangeNotices({ db: () => db.pool, logger });
  notices.outboxChanged(['batch-a', 'batch-b']);
  notices.outboxChanged(['batch-a']);
  notices.progressMoved(['{"at":1,"goals":[["batch-c","g"]]}']);
  await notices.settled();
  await eventually(() => tagged('batch-').length >= 3, 'the notifications');
  // A notification that arrived twice would show up within this wait.
  await Bun.sleep(50);
  expect(tagged('batch-').sort((x, y) => x.payload.localeCompare(y.payload))).toEqual([
    { channel: PROGRESS_CHANNEL, payload: '{"at":1,"goals":[["batch-c","g"]]}' },
    { channel: OUTBOX_CHANNEL, payload: 'batch-a' },
    { channel: OUTBOX_CHANNEL, payload: 'batch-b' },
  ]);
  await notices.stop();
});

test('a restart is announced to every listener as the empty player', async () => {
  const notices = createChangeNotices({ db: () => db.pool, logger });
  const before = received.filter((notice) => notice.payload === RESTART_PAYLOAD).length;
  notices.announceRestart();
  await notices.settled();
  await eventually(
    () => received.filter((notice) => notice.payload === RESTART_PAYLOAD).length > before,
    'the notifications',
  );
  await notices.stop();
});

test('notices the database refused are sent once it answers again, in one go', async () => {
  const database = outageUntilReachable();
  const notices = createChangeNotices({ db: database.pool, logger });
  notices.outboxChanged(['refused-1']);
  await Bun.sleep(300);
  notices.outboxChanged(['refused-2']);
  expect(tagged('refused-')).toEqual([]);
  database.reachable = true;
  await notices.settled();
  await eventually(() => tagged('refused-').length >= 2, 'the notifications');
  expect(
    tagged('refused-')
      .map((notice) => notice.payload)
      .sort(),
  ).toEqual(['refused-1', 'refused-2']);
  await notices.stop();
  await database.end();
});

test('stop sends what is queued, then accepts nothing', async () => {
  const notices = createChangeNotices({ db: () => db.pool, logger });
  notices.outboxChanged(['stopping-1']);
  await notices.stop();
  notices.outboxChanged(['stopping-2']);
  await eventually(() => tagged('stopping-1').length === 1, 'the notifications');
  await Bun.sleep(100);
  expect(tagged('stopping-').map((notice) => notice.payload)).toEqual(['stopping-1']);
});

/** Notices sent to a database in an outage until `reachable`, with the count of each outcome. */
function countedThroughOutage(bounds: Pick<ChangeNoticeOptions, 'maxQueued' | 'maxQueuedChars'>) {
  const database = outageUntilReachable();
  const counts = { sent: 0, refused: 0, dropped: 0 };
  const notices = createChangeNotices({
    db: database.pool,
    logger,
    ...bounds,
    onCount: (outcome, count) => {
      counts[outcome] += count;
    },
  });
  return { database, counts, notices };
}

test('a long outage keeps the newest notices up to the bound, and counts what became of each', async () => {
  const { database, counts, notices } = countedThroughOutage({ maxQueued: 3 });
  notices.outboxChanged(['bounded-1', 'bounded-2']);
  await Bun.sleep(150);
  notices.outboxChanged(['bounded-3', 'bounded-4', 'bounded-5']);
  database.reachable = true;
  await notices.settled();
  await eventually(() => tagged('bounded-').length >= 3, 'the notifications');
  await Bun.sleep(50);
  expect(
    tagged('bounded-')
      .map((notice) => notice.payload)
      .sort(),
  ).toEqual(['bounded-3', 'bounded-4', 'bounded-5']);
  // The first two were refused at least once before two of the five had to go.
  expect(counts.sent).toBe(3);
  expect(counts.dropped).toBe(2);
  expect(counts.refused).toBeGreaterThanOrEqual(2);
  await notices.stop();
  await database.end();
});

test('a long outage keeps progress payloads within their characters bound, newest first', async () => {
  const { database, counts, notices } = countedThroughOutage({ maxQueuedChars: 100 });
  // Five payloads of 40 characters: two fit.
  const payloads = Array.from({ length: 5 }, (_, i) => `chars-${i}-`.padEnd(40, 'x'));
  notices.progressMoved(payloads.slice(0, 2));
  await Bun.sleep(150);
  notices.progressMoved(payloads.slice(2));
  database.reachable = true;
  await notices.settled();
  await eventually(() => tagged('chars-').length >= 2, 'the notifications');
  await Bun.sleep(50);
  expect(tagged('chars-').map((notice) => notice.payload)).toEqual(payloads.slice(3));
  expect(counts.sent).toBe(2);
  expect(counts.dropped).toBe(3);
  await notices.stop();
  await database.end();
});

test('a backlog larger than one statement goes out whole', async () => {
  const notices = createChangeNotices({ db: () => db.pool, logger });
  const names = Array.from({ length: 12_000 }, (_, i) => `backlog-${i}`);
  notices.outboxChanged(names);
  await notices.settled();
  await eventually(() => tagged('backlog-').length >= names.length, 'the notifications');
  expect(new Set(tagged('backlog-').map((notice) => notice.payload)).size).toBe(names.length);
  await notices.stop();
});
