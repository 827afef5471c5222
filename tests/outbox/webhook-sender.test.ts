/**
 * What a notification attempt reads of the receiver's answer: a receiver whose body never ends
 * (broken, or hostile) gets its answer taken at once, and the body cut, instead of the service
 * reading it into memory until the timeout.
 */
import { afterEach, describe, expect, test } from 'bun:test';
import type { NotificationBody } from '../../src/domain/outbox-delivery.ts';
import { createWebhookSender } from '../../src/outbox/webhook-sender.ts';

const notification: NotificationBody = {
  id: '42',
  type: 'goal.completed',
  occurredAt: '2026-12-03T12:00:00Z',
  namespace: 'test',
  userId: 'alice',
  challengeId: 'starter-challenge',
  goalId: 'tutorial',
  progress: 1,
  status: 'completed',
  reward: null,
};

const TIMEOUT_MS = 10_000;
const servers: Array<{ stop(force: boolean): void }> = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.stop(true);
});

/** A receiver answering `status` with a body that never ends; counts what the sender took of it. */
function endlessReceiver(status: number) {
  const seen = { bytes: 0, cancelled: false };
  const chunk = new TextEncoder().encode(`${'error '.repeat(10_000)}\n`);
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            seen.bytes += chunk.byteLength;
            controller.enqueue(chunk);
          },
          cancel() {
            seen.cancelled = true;
          },
        }),
        { status },
      ),
  });
  servers.push(server);
  const send = createWebhookSender({
    url: `http://127.0.0.1:${server.port}/hook`,
    secret: 's',
    timeoutMs: TIMEOUT_MS,
  });
  return { seen, send };
}

/** Until the body's reading stopped: the bytes pulled stay put for a while. */
async function pullingStops(seen: { bytes: number }): Promise<number> {
  const deadline = performance.now() + 5_000;
  let last = -1;
  while (performance.now() < deadline) {
    if (seen.bytes === last) return last;
    last = seen.bytes;
    await Bun.sleep(300);
  }
  return Number.POSITIVE_INFINITY;
}

describe('a notification answered with a body that never ends', () => {
  test('an error is reported at once, with the start of its body', async () => {
    const { seen, send } = endlessReceiver(500);
    const started = performance.now();
    const outcome = await send(notification, new AbortController().signal);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(outcome.kind).toBe('failed');
    const error = outcome.kind === 'failed' ? outcome.error : '';
    expect(error).toStartWith('HTTP 500: error error');
    expect(error.length).toBeLessThan(220);
    expect(await pullingStops(seen)).toBeLessThan(10 * 1024 * 1024);
  });

  test('a 2xx is delivered, and the rest of its body is not read', async () => {
    const { seen, send } = endlessReceiver(200);
    expect((await send(notification, new AbortController().signal)).kind).toBe('delivered');
    expect(await pullingStops(seen)).toBeLessThan(10 * 1024 * 1024);
  });
});
