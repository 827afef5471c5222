/**
 * The age of the oldest message still to deliver is read at scrape time with one cheap query, and
 * a database that does not answer makes it NaN within a second instead of holding the scrape.
 */
import { afterAll, expect, test } from 'bun:test';
import { oldestUndeliveredAgeSeconds } from '../../src/db/outbox-delivery.ts';
import { createMetrics } from '../../src/metrics.ts';
import { createTestApp } from '../helpers/test-app.ts';

const app = await createTestApp();
afterAll(() => app.close());

const ageLine = (text: string) =>
  text.split('\n').find((line) => line.startsWith('challenge_outbox_oldest_undelivered_age_seconds '));

test('the oldest undelivered message: its age, 0 when none waits', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  metrics.setOutboxAge(() => oldestUndeliveredAgeSeconds(app.db.pool));
  expect(ageLine(await metrics.render())).toBe('challenge_outbox_oldest_undelivered_age_seconds 0');
  const user = `age-${crypto.randomUUID()}`;
  await app.request('POST', '/v1/challenges/initialize', { user });
  await app.db.pool`
    update outbox_messages set occurred_at = now() - interval '100 seconds' where user_id = ${user}`;
  const age = Number(ageLine(await metrics.render())?.split(' ')[1]);
  expect(age).toBeGreaterThanOrEqual(100);
  expect(age).toBeLessThan(110);
  await app.db.pool`update outbox_messages set delivered_at = now() where user_id = ${user}`;
  expect(ageLine(await metrics.render())).toBe('challenge_outbox_oldest_undelivered_age_seconds 0');
});

test('a read that does not answer is NaN after the timeout, and the scrape answers', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  metrics.setOutboxAge(() => new Promise<number>(() => {}));
  const started = performance.now();
  const text = await metrics.render();
  expect(performance.now() - started).toBeLessThan(2_000);
  // prom-client writes NaN as "Nan"; Prometheus reads either.
  expect(ageLine(text)).toMatch(/^challenge_outbox_oldest_undelivered_age_seconds nan$/i);
  for (const name of ['delivered', 'retried', 'parked', 'deleted'])
    expect(text).toContain(`challenge_outbox_${name}_total 0`);
});
