import { describe, expect, test } from 'bun:test';
import type { BatchResult } from '../../src/pipeline/apply-events.ts';
import type { PipelineEvent } from '../../src/pipeline/pipeline-event.ts';
import { createShardBuffer, type ShardBufferOptions } from '../../src/pipeline/shard-buffer.ts';

let seq = 0;
const event = (receivedAt = Date.now()): PipelineEvent => ({
  seq: ++seq,
  kind: 'login',
  id: '',
  userId: 'u',
  receivedAt,
  occurredAt: receivedAt,
});

function harness(overrides: Partial<ShardBufferOptions> & Pick<ShardBufferOptions, 'apply'>) {
  const ok: number[] = [];
  const failed: { seq: number; code: string }[] = [];
  const batches: number[] = [];
  const buffer = createShardBuffer({
    maxBatch: 100,
    minWaitMs: 0,
    maxBacklog: 1_000,
    maxWaitMs: 5_000,
    flushTimeoutMs: 5_000,
    onAcks: (acked, failures) => {
      ok.push(...acked);
      failed.push(...failures.map((f) => ({ seq: f.seq, code: f.code })));
    },
    onFlush: (_result, size) => batches.push(size),
    ...overrides,
  });
  return { buffer, ok, failed, batches };
}

const result = (n: number): BatchResult => ({
  appliedByKind: { login: n, statistic: 0 },
  duplicatesByKind: { login: 0, statistic: 0 },
  skippedByKind: { login: 0, statistic: 0 },
  rowsWritten: n,
  notices: { outboxPlayers: [], progress: [] },
});

describe('shard buffer', () => {
  test('acknowledges only after the batch was applied', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const h = harness({
      apply: async (events) => {
        await gate;
        return result(events.length);
      },
    });
    const events = [event(), event()];
    h.buffer.accept(events);
    await Bun.sleep(20);
    expect(h.ok).toEqual([]);
    release();
    await h.buffer.drain();
    expect(h.ok).toEqual(events.map((e) => e.seq));
  });

  test('batches grow while a flush is running (group commit) and respect maxBatch', async () => {
    const h = harness({
      maxBatch: 50,
      apply: async (events) => {
        await Bun.sleep(20);
        return result(events.length);
      },
    });
    h.buffer.accept([event()]);
    await Bun.sleep(5);
    h.buffer.accept(Array.from({ length: 120 }, () => event()));
    await h.buffer.drain();
    expect(h.batches).toEqual([1, 50, 50, 20]);
    expect(h.ok).toHaveLength(121);
  });

  test('a full backlog rejects new events at once with RESOURCE_EXHAUSTED', async () => {
    const h = harness({
      maxBacklog: 3,
      apply: async (events) => {
        await Bun.sleep(30);
        return result(events.length);
      },
    });
    const events = Array.from({ length: 5 }, () => event());
    h.buffer.accept(events);
    expect(h.failed.map((f) => f.code)).toEqual(['RESOURCE_EXHAUSTED', 'RESOURCE_EXHAUSTED']);
    await h.buffer.drain();
    expect(h.ok).toHaveLength(3);
  });

  test('while the database fails, events are retried, then failed UNAVAILABLE after maxWaitMs', async () => {
    let attempts = 0;
    const h = harness({
      maxWaitMs: 300,
      apply: async () => {
        attempts++;
        throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
      },
    });
    h.buffer.accept([event(), event()]);
    await h.buffer.drain();
    expect(attempts).toBeGreaterThan(1);
    expect(h.ok).toEqual([]);
    expect(h.failed.map((f) => f.code)).toEqual(['UNAVAILABLE', 'UNAVAILABLE']);
    expect(h.buffer.backlog()).toBe(0);
  });

  test('a database that comes back in time applies the waiting events', async () => {
    let attempts = 0;
    const h = harness({
      apply: async (events) => {
        attempts++;
        if (attempts < 3) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
        return result(events.length);
      },
    });
    h.buffer.accept([event(), event()]);
    await h.buffer.drain();
    expect(h.failed).toEqual([]);
    expect(h.ok).toHaveLength(2);
  });
});

describe('shard buffer bounds', () => {
  test('a flush that never answers is abandoned; its events are answered UNAVAILABLE by maxWaitMs', async () => {
    let hang = true;
    let abandoned = 0;
    const h = harness({
      maxWaitMs: 300,
      flushTimeoutMs: 300,
      onAbandon: () => abandoned++,
      apply: async (events) => {
        if (hang) await new Promise(() => {});
        return result(events.length);
      },
    });
    const started = performance.now();
    h.buffer.accept([event(), event()]);
    await h.buffer.drain();
    const waited = performance.now() - started;
    expect(h.failed.map((f) => f.code)).toEqual(['UNAVAILABLE', 'UNAVAILABLE']);
    expect(waited).toBeLessThan(300 + 200);
    expect(abandoned).toBeGreaterThanOrEqual(1);
    // The database answers again: the next events are applied, no restart needed.
    hang = false;
    h.buffer.accept([event()]);
    await h.buffer.drain();
    expect(h.ok).toHaveLength(1);
    h.buffer.close();
  });

  test('events still waiting when their time is up are answered even while a flush is in flight', async () => {
    let release: () => void = () => {};
    const h = harness({
      maxWaitMs: 200,
      flushTimeoutMs: 10_000,
      apply: async (events) => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return result(events.length);
      },
    });
    const first = event();
    h.buffer.accept([first]);
    await Bun.sleep(300);
    // Answered UNAVAILABLE although its flush has not finished; the late commit does not answer it again.
    expect(h.failed).toEqual([{ seq: first.seq, code: 'UNAVAILABLE' }]);
    release();
    await h.buffer.drain();
    expect(h.ok).toEqual([]);
    h.buffer.close();
  });

  test('expiring a huge backlog takes linear time', async () => {
    const h = harness({
      maxBacklog: 1_000_000,
      maxBatch: 2_000,
      maxWaitMs: 100,
      apply: async () => {
        throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
      },
    });
    const old = Date.now() - 10_000;
    const events = Array.from({ length: 400_000 }, () => event(old));
    const started = performance.now();
    h.buffer.accept(events);
    await h.buffer.drain();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(h.failed).toHaveLength(400_000);
    h.buffer.close();
  });

  test('maxBacklog bounds the events held, waiting and in flight together', async () => {
    let release: () => void = () => {};
    const h = harness({
      maxBacklog: 4,
      maxBatch: 3,
      apply: async (events) => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return result(events.length);
      },
    });
    h.buffer.accept([event(), event(), event()]);
    await Bun.sleep(5);
    expect(h.buffer.backlog()).toBe(3);
    h.buffer.accept([event(), event(), event()]);
    expect(h.failed.map((f) => f.code)).toEqual(['RESOURCE_EXHAUSTED', 'RESOURCE_EXHAUSTED']);
    expect(h.buffer.backlog()).toBe(4);
    release();
    await Bun.sleep(5);
    release();
    await h.buffer.drain();
    expect(h.ok).toHaveLength(4);
    h.buffer.close();
  });
});
