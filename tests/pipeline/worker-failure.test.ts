/**
 * A dead event worker takes the process down, loudly, instead of acknowledging into a shard that
 * can no longer commit: the platform then redelivers whatever was not acknowledged.
 */
import { expect, test } from 'bun:test';
import { resolve } from 'node:path';
import type { Challenge } from '../../src/domain/types.ts';
import { createEventClient } from '../../src/events/event-client.ts';
import { createLogger } from '../../src/log.ts';
import { startEventPipeline } from '../../src/pipeline/event-pipeline.ts';
import {
  countCodes,
  expectNothingAcknowledgedLost,
  streamEvents,
  useEventServices,
  waitUntil,
} from '../helpers/event-load.ts';

const NAMESPACE = 'worker-failure';
const USERS = Array.from({ length: 8 }, (_, i) => `failure-user-${i}`);

const { db, startCounting } = await useEventServices(NAMESPACE);

test('a shard worker dying mid-stream exits the process with 1 and a fatal log line; nothing acknowledged is lost', async () => {
  const { service: running, grpcPort } = await startCounting('failure-challenge', USERS, {
    BUN_OPTIONS: `--preload ${resolve(import.meta.dir, '../helpers/kill-shard-preload.ts')}`,
  });

  const ids = Array.from({ length: 20_000 }, (_, i) => `failure-${i}`);
  const userOf = (id: string) => USERS[Number(id.slice('failure-'.length)) % USERS.length] ?? '';
  const client = createEventClient(`127.0.0.1:${grpcPort}`, { deadlineMs: 20_000 });
  try {
    let acked = 0;
    let killedAt = 0;
    const killShard = () => {
      if (killedAt > 0) return;
      killedAt = Date.now();
      running.process.kill('SIGUSR2');
    };
    const exited = running.process.exited;
    let gone = false;
    void exited.then(() => {
      gone = true;
    });
    const stream = await streamEvents({
      ids,
      concurrency: 30,
      send: (id) => client.sendLogin({ id, userId: userOf(id), namespace: NAMESPACE }),
      stopped: () => gone,
      onSettled: (_id, outcome) => {
        if (outcome.code === 0 && ++acked === 500) killShard();
      },
    });
    expect(killedAt).toBeGreaterThan(0);
    expect(await exited).toBe(1);
    const exitMs = Date.now() - killedAt;
    const output = running.output();
    expect(output).toContain('kill-shard-preload: terminating the first of 2 shard workers');
    const fatal = output.split('\n').find((line) => line.includes('"level":"fatal"'));
    expect(fatal).toBeDefined();
    expect(fatal).toContain('event pipeline worker failed');
    expect(fatal).toMatch(/shard-\d exited/);

    const codes = countCodes(stream.outcomes.values());
    console.log(`worker failure: exit 1 within ${exitMs} ms; outcomes ${JSON.stringify([...codes])}`);
    // Every call ended (no hang until the deadline), and every OK was committed first.
    await expectNothingAcknowledgedLost(db.pool, stream, ids, USERS);
  } finally {
    client.close();
  }
}, 60_000);

test('a worker that cannot start is reported through onFatal once, with a fatal log line', async () => {
  const lines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  // A catalog the workers cannot build: every worker throws while loading.
  const broken = [{ challengeId: 'broken', name: 'broken', goals: null }] as unknown as Challenge[];
  const fatalErrors: Error[] = [];
  const started = startEventPipeline({
    databaseUrl: db.url,
    challenges: broken,
    namespace: NAMESPACE,
    host: '127.0.0.1',
    grpcPort: 0,
    shards: 2,
    maxInFlight: 1_000,
    settings: {
      maxBatch: 100,
      minWaitMs: 0,
      maxBacklog: 100,
      maxWaitMs: 1_000,
      transactionPooler: false,
      audit: true,
    },
    logger,
    logLevel: 'fatal',
    onFatal: (error) => fatalErrors.push(error),
  });
  // It never becomes ready (the process would exit in onFatal); its start times out later, harmlessly.
  let ready = false;
  started.then(
    () => {
      ready = true;
    },
    () => {},
  );
  await waitUntil('onFatal', () => fatalErrors.length > 0, 10_000, 20);
  await Bun.sleep(300); // the other workers die too; onFatal still fires once
  expect(fatalErrors).toHaveLength(1);
  expect(fatalErrors[0]?.message).toMatch(/^(shard-\d|ingress) (crashed|exited)/);
  expect(ready).toBe(false);
  const fatal = lines.find((line) => line.includes('"level":"fatal"'));
  expect(fatal).toContain('event pipeline worker failed');
}, 20_000);
