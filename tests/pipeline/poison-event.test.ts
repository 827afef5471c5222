/**
 * An event the database refuses must fail alone. It is built here as a PipelineEvent, past the
 * ingress checks that normally refuse it, so the flush itself meets it: the buffer has to find it by
 * splitting the batch while the other players' events of the same shard are applied.
 */
import { afterAll, expect, test } from 'bun:test';
import { loadChallengeConfig } from '../../src/config/challenge-config.ts';
import { createPool, type Pool } from '../../src/db/client.ts';
import { getUserProgress, insertAssignments } from '../../src/db/progress-rows.ts';
import { createCatalog } from '../../src/domain/catalog.ts';
import { applyEventBatch } from '../../src/pipeline/apply-events.ts';
import type { PipelineEvent } from '../../src/pipeline/pipeline-event.ts';
import { createShardBuffer, type FlushFailure } from '../../src/pipeline/shard-buffer.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
afterAll(() => db.drop());
const catalog = createCatalog(loadChallengeConfig('config/challenges.test.json'));
let seq = 0;
const login = (userId: string, id: string): PipelineEvent => ({
  seq: ++seq,
  kind: 'login',
  id,
  userId,
  receivedAt: Date.now(),
  occurredAt: Date.now(),
});

/**
 * `odd` amid the `good` events of other players, in one batch of a shard buffer flushing to
 * `pool`: what it acknowledged, failed and reported, and how long it took.
 */
async function flushAround(pool: Pool, good: readonly PipelineEvent[], odd: PipelineEvent) {
  const ok = new Set<number>();
  const failed = new Map<number, string>();
  const failures: FlushFailure['kind'][] = [];
  const buffer = createShardBuffer({
    apply: (events) => applyEventBatch(pool, catalog, events, new Date()),
    maxBatch: 100,
    minWaitMs: 0,
    maxBacklog: 1_000,
    maxWaitMs: 5_000,
    flushTimeoutMs: 5_000,
    onAcks: (acked, rejected) => {
      for (const s of acked) ok.add(s);
      for (const r of rejected) failed.set(r.seq, r.code);
    },
    onFlushError: (_error, failure) => failures.push(failure.kind),
  });
  const started = performance.now();
  buffer.accept([...good.slice(0, 10), odd, ...good.slice(10)]);
  await buffer.drain();
  buffer.close();
  return { ms: performance.now() - started, ok, failed, failures };
}

/** Only `odd` failed, answered `code` after the batch was split to find it (reported as `kind`). */
function expectFailedAlone(
  outcome: Awaited<ReturnType<typeof flushAround>>,
  good: readonly PipelineEvent[],
  odd: PipelineEvent,
  expected: { readonly code: string; readonly kind: FlushFailure['kind'] },
): void {
  expect([...outcome.ok].sort()).toEqual(good.map((e) => e.seq).sort());
  expect(outcome.failed).toEqual(new Map([[odd.seq, expected.code]]));
  expect(outcome.failures).toContain('split');
  expect(outcome.failures.filter((kind) => kind === expected.kind)).toHaveLength(1);
  expect(outcome.failures).not.toContain('unavailable');
}

/** Incompressible text: PostgreSQL compresses long index entries, so a repeated character would fit. */
const randomText = (length: number) =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(length)))
    .toString('base64')
    .slice(0, length);

test.each([
  ['U+0000 in the user id', (tag: string) => login(`poison\u0000${tag}`, `poison-nul-${tag}`)],
  [
    'an event id of 10,000 random characters, past the btree entry limit',
    (tag: string) => login(`poison-${tag}`, randomText(10_000)),
  ],
])(
  'a poison event in flight (%s) fails alone; 20 good events of other players are acknowledged within 2 s',
  async (_name, poisonOf) => {
    const tag = crypto.randomUUID().slice(0, 8);
    const users = Array.from({ length: 20 }, (_, i) => `neighbour-${tag}-${i}`);
    for (const user of users) await insertAssignments(db.pool, user, 'ns', catalog.defaultGoals, new Date());
    const good = users.map((user, i) => login(user, `good-${tag}-${i}`));
    const poison = poisonOf(tag);
    const outcome = await flushAround(db.pool, good, poison);
    expect(outcome.ms).toBeLessThan(2_000);
    expectFailedAlone(outcome, good, poison, { code: 'INVALID_REQUEST', kind: 'rejected' });
    for (const user of users) {
      const row = (await getUserProgress(db.pool, user)).find((r) => r.goalId === 'login-3-times');
      expect(row?.progress).toBe(1);
    }
  },
);

test("a player whose progress another transaction holds locked fails alone, UNAVAILABLE; the others' events are acknowledged", async () => {
  const tag = crypto.randomUUID().slice(0, 8);
  const users = Array.from({ length: 20 }, (_, i) => `unlocked-${tag}-${i}`);
  const lockedUser = `locked-${tag}`;
  for (const user of [...users, lockedUser])
    await insertAssignments(db.pool, user, 'ns', catalog.defaultGoals, new Date());
  // The flush's own bound on a lock wait, short here.
  const flushPool = createPool({
    url: db.url,
    maxConnections: 2,
    statementTimeoutMs: 5_000,
    lockTimeoutMs: 200,
  });
  const holder = await db.pool.reserve();
  try {
    // An operator's open transaction on the player's rows.
    await holder`begin`;
    await holder`select 1 from user_goal_progress where user_id = ${lockedUser} for update`;
    const good = users.map((user, i) => login(user, `unlocked-${tag}-${i}`));
    const locked = login(lockedUser, `locked-${tag}`);
    const outcome = await flushAround(flushPool, good, locked);
    expect(outcome.ms).toBeLessThan(3_000);
    expectFailedAlone(outcome, good, locked, { code: 'UNAVAILABLE', kind: 'locked' });
  } finally {
    await holder`rollback`;
    holder.release();
    await flushPool.end();
  }
  // Redelivered once the lock is gone, it is applied.
  const [row] = (await getUserProgress(db.pool, lockedUser)).filter((r) => r.goalId === 'login-3-times');
  expect(row?.progress).toBe(0);
  await applyEventBatch(db.pool, catalog, [login(lockedUser, `locked-${tag}`)], new Date());
  const [after] = (await getUserProgress(db.pool, lockedUser)).filter((r) => r.goalId === 'login-3-times');
  expect(after?.progress).toBe(1);
});
