/**
 * EVENT_MAX_IN_FLIGHT as the platform sees it: a burst larger than the limit is partly refused at
 * once with RESOURCE_EXHAUSTED, and redelivering the refused events applies every event exactly once.
 */
import { expect, test } from 'bun:test';
import { GRPC_STATUS } from '../../src/domain/errors.ts';
import { createEventClient } from '../../src/events/event-client.ts';
import {
  COUNTING_GOAL,
  countCodes,
  streamEvents,
  totalProgress,
  useEventServices,
} from '../helpers/event-load.ts';

const NAMESPACE = 'e2e-in-flight';
const MAX_IN_FLIGHT = 10;
const { OK, RESOURCE_EXHAUSTED } = GRPC_STATUS;
const USERS = Array.from({ length: 20 }, (_, i) => `in-flight-user-${i}`);

const { db, startCounting } = await useEventServices(NAMESPACE);

test('a burst beyond EVENT_MAX_IN_FLIGHT is refused at once, and redelivery applies each event once', async () => {
  const { service, grpcPort } = await startCounting('in-flight-challenge', USERS, {
    EVENT_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT),
  });
  const client = createEventClient(`127.0.0.1:${grpcPort}`);
  const ids = Array.from({ length: 400 }, (_, i) => `burst-${i}`);
  const send = (id: string) =>
    client.sendLogin({ id, userId: USERS[Number(id.slice(6)) % USERS.length] ?? '', namespace: NAMESPACE });
  try {
    const burst = await streamEvents({ ids, concurrency: 200, send });
    const codes = countCodes(burst.outcomes.values());
    // 200 calls at once against 10 places: most are refused, and nothing else goes wrong.
    expect([...codes.keys()].filter((code) => code !== OK && code !== RESOURCE_EXHAUSTED)).toEqual([]);
    expect(codes.get(RESOURCE_EXHAUSTED) ?? 0).toBeGreaterThan(100);
    expect(codes.get(OK) ?? 0).toBeGreaterThan(0);
    const refusal = [...burst.outcomes.values()].find((outcome) => outcome.code === RESOURCE_EXHAUSTED);
    expect(refusal?.details).toContain('EVENT_MAX_IN_FLIGHT');
    expect(await totalProgress(db.pool, COUNTING_GOAL.goalId, USERS)).toBe(burst.ok.size);

    // The platform redelivers what was refused, every id again (acknowledged ones are duplicates).
    let pending = ids;
    for (let round = 0; pending.length > 0 && round < 20; round++) {
      const again = await streamEvents({ ids: pending, concurrency: MAX_IN_FLIGHT, send });
      pending = pending.filter((id) => !again.ok.has(id));
    }
    expect(pending).toEqual([]);
    expect(await totalProgress(db.pool, COUNTING_GOAL.goalId, USERS)).toBe(ids.length);
    // Every answered call gave its place back.
    const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^challenge_event_calls_in_flight 0$/m);
  } finally {
    client.close();
  }
}, 60_000);
