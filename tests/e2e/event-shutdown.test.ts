/**
 * SIGTERM in the middle of an event stream: in-flight calls end (OK or a clean gRPC error, never a
 * hang), every acknowledged event is stored, and the process exits 0 in bounded time.
 */
import { expect, test } from 'bun:test';
import { createEventClient } from '../../src/events/event-client.ts';
import {
  countCodes,
  expectNothingAcknowledgedLost,
  streamEvents,
  useEventServices,
} from '../helpers/event-load.ts';

const NAMESPACE = 'e2e-shutdown';
const EVENTS = 20_000;
const USERS = Array.from({ length: 8 }, (_, i) => `shutdown-user-${i}`);

const { db, startCounting } = await useEventServices(NAMESPACE);

test('SIGTERM mid-stream: calls finish or fail cleanly, acknowledged events are stored, exit 0 within 10 s', async () => {
  const { service: running, grpcPort } = await startCounting('shutdown-challenge', USERS);

  const ids = Array.from({ length: EVENTS }, (_, i) => `shutdown-${i}`);
  const userOf = (id: string) => USERS[Number(id.slice('shutdown-'.length)) % USERS.length] ?? '';
  // A hang would surface as DEADLINE_EXCEEDED, well after the 10 s shutdown bound.
  const client = createEventClient(`127.0.0.1:${grpcPort}`, { deadlineMs: 20_000 });
  try {
    let exited = false;
    let acked = 0;
    let ackedAfterSignal = 0;
    let signalled: Promise<number> | undefined;
    let signalledAt = 0;
    const sigterm = () => {
      if (signalled) return;
      signalledAt = Date.now();
      signalled = running.terminate('SIGTERM');
      void signalled.then(() => {
        exited = true;
      });
    };
    const timer = setTimeout(sigterm, 1_000);
    // The platform keeps delivering until the process is gone.
    const stream = await streamEvents({
      ids,
      concurrency: 50,
      send: (id) => client.sendLogin({ id, userId: userOf(id), namespace: NAMESPACE }),
      stopped: () => exited,
      onSettled: (_id, outcome) => {
        if (outcome.code !== 0) return;
        if (signalled) ackedAfterSignal++;
        if (++acked >= EVENTS / 2) sigterm();
      },
    });
    clearTimeout(timer);
    expect(signalled).toBeDefined();
    const exitCode = await signalled;
    const shutdownMs = Date.now() - signalledAt;
    expect(exitCode).toBe(0);
    expect(shutdownMs).toBeLessThan(10_000);
    expect(running.output()).toContain('shutdown complete');

    const codes = countCodes(stream.outcomes.values());
    // Every call ended with an answer: OK, or a gRPC status (the server stopped taking calls);
    // every acknowledged event is stored, and the count matches the stored ids exactly.
    const stored = await expectNothingAcknowledgedLost(db.pool, stream, ids, USERS);
    console.log(
      `shutdown: exit 0 after ${shutdownMs} ms; outcomes ${JSON.stringify([...codes])} ` +
        `(${ackedAfterSignal} OK after SIGTERM), ${stream.unsent.length} never sent, ${stored.size} stored`,
    );
    // Calls in flight when the signal arrived were finished, not dropped.
    expect(ackedAfterSignal).toBeGreaterThan(0);
    expect(stream.ok.size).toBeGreaterThan(0);
    expect(stream.ok.size).toBeLessThan(EVENTS);
    // Nothing that was not sent was applied.
    expect(stream.unsent.filter((id) => stored.has(id))).toEqual([]);
  } finally {
    client.close();
  }
}, 60_000);
