/**
 * The ingress answers a call only when the shard owning its user answers it. A shard that stops
 * answering (its thread hangs) must not hold calls, and their places in the in-flight bound, for
 * good: past the answer deadline they are answered UNAVAILABLE, for the platform to redeliver,
 * and the health service is told, while calls the shard does answer are settled as before.
 */
import { expect, test } from 'bun:test';
import { MessageChannel } from 'node:worker_threads';
import { AppError } from '../../src/domain/errors.ts';
import type { EventsMessage } from '../../src/pipeline/protocol.ts';
import { createShardRouter } from '../../src/pipeline/shard-router.ts';

const login = (userId: string) => ({
  kind: 'login' as const,
  id: crypto.randomUUID(),
  userId,
  namespace: 'test',
  timestampMs: Date.now(),
});

test('a call its shard never answers is answered UNAVAILABLE after the deadline; answered ones settle', async () => {
  const channel = new MessageChannel();
  const shard = channel.port2;
  const given: number[] = [];
  const answering: boolean[] = [];
  const router = createShardRouter([channel.port1], {
    answerWithinMs: 300,
    onGivenUp: (n) => given.push(n),
    onAnswering: (yes) => answering.push(yes),
  });
  // The shard answers the first batch it gets, then hangs until the test lets it go on.
  let batches = 0;
  let hung = true;
  shard.on('message', (message: EventsMessage) => {
    if (++batches === 1 || !hung)
      shard.postMessage({ type: 'acks', ok: message.events.map((e) => e.seq), failed: [] });
  });
  try {
    await router.route(login('answered'));
    const started = performance.now();
    const outcome = await router.route(login('stuck')).then(
      () => 'acknowledged',
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(AppError);
    expect((outcome as AppError).code).toBe('UNAVAILABLE');
    expect((outcome as AppError).message).toContain('redeliver');
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(2_500);
    expect(given).toEqual([1]);
    // The health service is told the shard is stuck, and that it answers again once it does.
    expect(answering).toEqual([false]);
    hung = false;
    await router.route(login('after'));
    expect(answering).toEqual([false, true]);
  } finally {
    router.stop();
    channel.port1.close();
    shard.close();
  }
});
