/**
 * Parking: a message the receiver keeps refusing is parked after NOTIFY_WEBHOOK_MAX_ATTEMPTS, the
 * player's later messages still go out, and an admin sees it and redelivers it through the API.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import type { MessageDeliveryJson } from '../../src/outbox/outbox-admin.ts';
import { counterValue, eventually, startTestDelivery } from '../helpers/notify-delivery.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { startWebhookReceiver } from '../helpers/webhook-receiver.ts';
import { outboxOrder, playThrough } from '../outbox/player-changes.ts';

const app = await createTestApp();
afterAll(() => app.close());

type Parked = { messages: MessageDeliveryJson[] };
type Redelivery = { redelivered: boolean; message: MessageDeliveryJson };

describe('parked messages', () => {
  test('parked after the last attempt, not holding back the rest, redelivered by an admin', async () => {
    const user = `parked-${crypto.randomUUID()}`;
    await using receiver = startWebhookReceiver();
    let refuse = true;
    receiver.answerWith((body) =>
      refuse && body.goalId === 'tutorial' && body.type === 'goal.assigned'
        ? { status: 500 }
        : { status: 200 },
    );
    await using deliverer = await startTestDelivery({
      databaseUrl: app.db.url,
      url: receiver.url,
      catalog: () => app.catalog,
      policy: { maxAttempts: 3 },
    });
    await playThrough(app, user);
    await eventually(() => receiver.accepted().length === 8, 'the eight other messages');
    const refused = receiver.received.filter((r) => r.status === 500);
    expect(refused).toHaveLength(3);
    expect(new Set(refused.map((r) => r.idempotencyKey)).size).toBe(1);
    const parkedId = refused[0]?.idempotencyKey ?? '';
    const order = (await outboxOrder(app.db.pool, [user])).get(user) ?? [];
    expect(receiver.accepted().map((r) => r.body.id)).toEqual(order.filter((id) => id !== parkedId));
    expect(await counterValue(deliverer.metrics, 'challenge_outbox_parked_total')).toBe(1);
    expect(await counterValue(deliverer.metrics, 'challenge_outbox_retried_total')).toBe(2);

    const listed = await app.json<Parked>('GET', '/v1/admin/outbox/parked', { admin: 'ops' });
    expect(listed.status).toBe(200);
    expect(listed.body.messages).toEqual([
      expect.objectContaining({
        id: parkedId,
        type: 'goal.assigned',
        userId: user,
        goalId: 'tutorial',
        state: 'parked',
        attempts: 3,
        deliveredAt: '',
        lastError: 'HTTP 500: not now',
      }),
    ]);
    expect(listed.body.messages[0]?.parkedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    refuse = false;
    const redelivered = await app.json<Redelivery>('POST', `/v1/admin/outbox/${parkedId}/redeliver`, {
      admin: 'ops',
    });
    expect(redelivered.status).toBe(200);
    expect(redelivered.body).toMatchObject({
      redelivered: true,
      message: { id: parkedId, state: 'pending', attempts: 0, parkedAt: '' },
    });
    await eventually(() => receiver.acceptedCounts().get(parkedId) === 1, 'the redelivered message');
    expect(
      (await app.json<Parked>('GET', '/v1/admin/outbox/parked', { admin: 'ops' })).body.messages,
    ).toEqual([]);
    const again = await app.json<Redelivery>('POST', `/v1/admin/outbox/${parkedId}/redeliver`, {
      admin: 'ops',
    });
    expect(again.body).toMatchObject({ redelivered: false, message: { id: parkedId, state: 'delivered' } });
    expect([...receiver.acceptedCounts().values()]).toEqual(Array(9).fill(1));
  }, 20_000);

  test('paging with after and limit', async () => {
    const users = [`page-a-${crypto.randomUUID()}`, `page-b-${crypto.randomUUID()}`];
    for (const user of users) await app.request('POST', '/v1/challenges/initialize', { user });
    await app.db.pool`
      update outbox_messages set parked_at = now(), attempts = 12, last_error = 'HTTP 410'
      where user_id = any(${users}::text[])`;
    const all = await app.json<Parked>('GET', '/v1/admin/outbox/parked?limit=1000', { admin: 'ops' });
    const ids = all.body.messages.filter((m) => users.includes(m.userId)).map((m) => m.id);
    expect(ids).toHaveLength(6);
    const first = await app.json<Parked>('GET', `/v1/admin/outbox/parked?after=${ids[0]}&limit=2`, {
      admin: 'ops',
    });
    expect(first.body.messages.map((m) => m.id)).toEqual(ids.slice(1, 3));
  });

  test('refused: bad ids and limits, unknown ids, callers without the admin permission', async () => {
    const post = (id: string, init: { admin?: string; user?: string } = { admin: 'ops' }) =>
      app.request('POST', `/v1/admin/outbox/${id}/redeliver`, init);
    const error = async (response: Promise<Response>) => {
      const answer = await response;
      return { status: answer.status, error: ((await answer.json()) as { error: string }).error };
    };
    expect(await error(post('abc'))).toEqual({ status: 400, error: 'INVALID_REQUEST' });
    expect(await error(post('0'))).toEqual({ status: 400, error: 'INVALID_REQUEST' });
    expect(await error(post('99999999999999999999'))).toEqual({ status: 400, error: 'INVALID_REQUEST' });
    expect(await error(post('987654321'))).toEqual({ status: 404, error: 'NOT_FOUND' });
    expect(await error(post('1', { user: 'player' }))).toEqual({ status: 403, error: 'PERMISSION_DENIED' });
    const list = (query: string) => app.request('GET', `/v1/admin/outbox/parked${query}`, { admin: 'ops' });
    expect(await error(list('?limit=0'))).toEqual({ status: 400, error: 'INVALID_REQUEST' });
    expect(await error(list('?limit=x'))).toEqual({ status: 400, error: 'INVALID_REQUEST' });
    expect(await error(list('?after=-1'))).toEqual({ status: 400, error: 'INVALID_REQUEST' });
    expect(await error(app.request('GET', '/v1/admin/outbox/parked', { user: 'player' }))).toEqual({
      status: 403,
      error: 'PERMISSION_DENIED',
    });
  });
});
