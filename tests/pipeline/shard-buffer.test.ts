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
  rowsWritten: n,
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
        throw new Error('connection refused');
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
        if (attempts < 3) throw new Error('connection refused');
        return result(events.length);
      },
    });
    h.buffer.accept([event(), event()]);
    await h.buffer.drain();
    expect(h.failed).toEqual([]);
    expect(h.ok).toHaveLength(2);
  });
});
