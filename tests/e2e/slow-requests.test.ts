/**
 * A request that takes longer than the keep-alive idle timeout still gets its answer: the HTTP
 * server closes a connection that is silent for its idle timeout even while its request is being
 * answered, so the service never sets it below the longest deadline. Here a claim whose reward
 * backend takes 6 s, with a 1-s keep-alive setting (the server checks idle sockets every few
 * seconds, so a shorter grant could slip through), on the service started as users start it.
 */
import { expect, test } from 'bun:test';
import { createPool } from '../../src/db/client.ts';
import { useServiceProcess } from '../helpers/service-process.ts';

const GRANT_MS = 6_000;
const used = useServiceProcess({
  AUTH_MODE: 'mock',
  AB_NAMESPACE: 'slow-requests',
  MOCK_REWARD_LATENCY_MS: String(GRANT_MS),
  REWARD_TIMEOUT_MS: '10000',
  HTTP_IDLE_TIMEOUT_SECONDS: '1',
});

test('a claim answered after 6 s, with a 1-s keep-alive, reaches the client instead of a reset connection', async () => {
  const base = used.service().baseUrl;
  const headers = { 'x-mock-user-id': 'slow-claimer' };
  expect((await fetch(`${base}/v1/challenges/initialize`, { method: 'POST', headers })).status).toBe(200);
  const seed = createPool({ url: used.db().url, maxConnections: 1 });
  await seed`update user_goal_progress set progress = 10, status = 'completed', completed_at = now()
    where user_id = 'slow-claimer' and goal_id = 'defeat-10-enemies'`;
  await seed.end();

  const started = Date.now();
  const response = await fetch(`${base}/v1/challenges/starter-challenge/goals/defeat-10-enemies/claim`, {
    method: 'POST',
    headers,
  });
  expect(Date.now() - started).toBeGreaterThanOrEqual(GRANT_MS);
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ goalId: 'defeat-10-enemies', status: 'claimed' });
}, 20_000);
