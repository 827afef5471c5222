/**
 * Outbox traffic for delivery tests: each player goes through assignment, completion, claim,
 * activation and deactivation, through the API and the event flush, so every writer and message
 * type shows up; and the outbox's own order to check deliveries against.
 */
import { expect } from 'bun:test';
import type { Pool } from '../../src/db/client.ts';
import { statEvent } from '../helpers/pipeline-events.ts';
import type { TestApp } from '../helpers/test-app.ts';
import type { WebhookReceiver } from '../helpers/webhook-receiver.ts';

const stat = (userId: string, statCode: string, value: number) => statEvent(userId, statCode, value);

/** Nine messages for the player, written by nine transactions. */
export async function playThrough(app: TestApp, userId: string): Promise<void> {
  const expectOk = async (response: Promise<Response>, what: string) => {
    const answer = await response;
    if (answer.status !== 200)
      throw new Error(`${what} for ${userId}: HTTP ${answer.status} ${await answer.text()}`);
  };
  const apply = (statCode: string, value: number) =>
    app.applyEvents([stat(userId, statCode, value)], new Date());
  const user = userId;
  await expectOk(app.request('POST', '/v1/challenges/initialize', { user }), 'initialize');
  await apply('enemy_kills', 12);
  await expectOk(
    app.request('POST', '/v1/challenges/starter-challenge/goals/defeat-10-enemies/claim', { user }),
    'claim',
  );
  await apply('tutorial_completed', 1);
  await expectOk(app.request('POST', '/v1/challenges/progression/goals/tutorial/claim', { user }), 'claim');
  const active = '/v1/challenges/starter-challenge/goals/play-5-matches/active';
  await expectOk(app.request('PUT', active, { user, body: { isActive: true } }), 'activate');
  await expectOk(app.request('PUT', active, { user, body: { isActive: false } }), 'deactivate');
}

export const MESSAGES_PER_PLAYER = 9;

/** Each player's message ids in the outbox's order, (tx, id). */
export async function outboxOrder(pool: Pool, users: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await pool<{ id: string; user_id: string }[]>`
    select m.id::text, m.user_id from outbox_messages m where m.user_id = any(${users}::text[])
    order by m.tx, m.id`;
  const order = new Map<string, string[]>(users.map((user) => [user, []]));
  for (const row of rows) order.get(row.user_id)?.push(row.id);
  return order;
}

export async function undeliveredCount(pool: Pool): Promise<number> {
  const [row] = await pool<{ count: number }[]>`
    select count(*)::int as count from outbox_messages
    where for_delivery and delivered_at is null and parked_at is null`;
  return row?.count ?? 0;
}

/**
 * The receiver accepted every message of `order` exactly once, nothing else, and each player's in
 * the outbox's order.
 */
export function expectEachOnceInOrder(receiver: WebhookReceiver, order: ReadonlyMap<string, string[]>): void {
  const counts = receiver.acceptedCounts();
  expect([...counts.keys()].sort()).toEqual([...order.values()].flat().sort());
  expect([...counts.values()].every((count) => count === 1)).toBe(true);
  for (const [user, ids] of order) expect({ user, ids: receiver.acceptedIdsOf(user) }).toEqual({ user, ids });
}
