/**
 * Challenge answers take turns: at most MAX_ANSWERS_IN_FLIGHT are read and rendered at once, the
 * rest wait, and one that waited past its deadline is refused without being read.
 */
import { expect, test } from 'bun:test';
import { loadChallengeConfig } from '../../src/config/challenge-config.ts';
import { countPoolUsage } from '../../src/db/pool-usage.ts';
import { createCatalog } from '../../src/domain/catalog.ts';
import { AppError } from '../../src/domain/errors.ts';
import { createChallengeQueries, MAX_ANSWERS_IN_FLIGHT } from '../../src/services/challenge-queries.ts';
import { TEST_CONFIG_PATH } from '../helpers/test-app.ts';
import { createTestDb } from '../helpers/test-db.ts';

const MAX_WAIT_MS = 10_000;
const REQUESTS = 100;

test('at most MAX_ANSWERS_IN_FLIGHT lists read at once; those that waited past the deadline are refused unread', async () => {
  await using db = await createTestDb({ maxConnections: 1 });
  const counted = countPoolUsage(db.pool, 1);
  const catalog = createCatalog(loadChallengeConfig(TEST_CONFIG_PATH));
  let now = Date.parse('2026-06-01T12:00:00Z');
  const queries = createChallengeQueries({
    db: counted.pool,
    catalog: () => catalog,
    clock: () => new Date(now),
    maxWaitMs: MAX_WAIT_MS,
  });
  const holdsNone = () => false;
  const expected = (await queries.listChallenges('turn-taker', false, holdsNone)).json;
  if (expected === undefined) throw new Error('a list nobody holds has a body');

  // The pool's one connection is held, so the lists that get their turn wait on it, still in turn.
  const held = await counted.pool.reserve();
  const answers = Array.from({ length: REQUESTS }, (_, i) =>
    queries.listChallenges(`turn-taker-${i}`, false, holdsNone),
  );
  await Bun.sleep(50);
  const { inUse, waiting } = counted.usage();
  expect(inUse + waiting).toBe(1 + MAX_ANSWERS_IN_FLIGHT);

  // The rest are still waiting for their turn when their deadline passes.
  now += MAX_WAIT_MS + 1;
  held.release();
  const settled = await Promise.allSettled(answers);
  const answered = settled.filter((outcome) => outcome.status === 'fulfilled');
  const refused = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
  expect(answered.length).toBe(MAX_ANSWERS_IN_FLIGHT);
  for (const outcome of answered) expect(outcome.value.json).toEqual(expected);
  expect(refused.length).toBe(REQUESTS - MAX_ANSWERS_IN_FLIGHT);
  for (const reason of refused) {
    expect(reason).toBeInstanceOf(AppError);
    expect((reason as AppError).code).toBe('UNAVAILABLE');
  }
  // Refused unread: nothing is left running or waiting on the pool.
  expect(counted.usage()).toMatchObject({ inUse: 0, waiting: 0 });
});
