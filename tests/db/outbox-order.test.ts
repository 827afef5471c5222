/**
 * A player's outbox messages are read in (tx, id) order as numbers: ids and transactions are
 * returned as text, and an ORDER BY naming those would put '10' before '9'.
 */
import { afterAll, expect, test } from 'bun:test';
import { OUTBOX_START, readPlayerMessages } from '../../src/db/outbox.ts';
import { createTestApp } from '../helpers/test-app.ts';

const app = await createTestApp();
afterAll(() => app.close());

test('one transaction writing ids 9, 10 and 11 is read as 9, 10, 11', async () => {
  const user = `order-${crypto.randomUUID()}`;
  await app.db.pool`select setval(pg_get_serial_sequence('outbox_messages', 'id'), 8)`;
  await app.request('POST', '/v1/challenges/initialize', { user });
  const messages = await readPlayerMessages(app.db.pool, user, OUTBOX_START, 100);
  expect(messages.map((message) => message.id)).toEqual(['9', '10', '11']);
});
