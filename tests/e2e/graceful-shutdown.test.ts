/** The service as a process: SIGTERM lets in-flight requests finish and exits 0; bad config stops start-up. */
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServiceProcess } from '../helpers/service-process.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
afterAll(() => db.drop());

test('an in-flight claim completes during shutdown and the process exits 0', async () => {
  const service = await startServiceProcess({
    DATABASE_URL: db.url,
    AUTH_MODE: 'mock',
    CHALLENGE_CONFIG_PATH: 'config/challenges.test.json',
    AB_NAMESPACE: 'e2e',
    MOCK_REWARD_LATENCY_MS: '1500',
  });
  try {
    await service.waitForHealthy();
    expect(service.output()).toContain('AUTH_MODE=mock: requests are NOT authenticated');
    const headers = { 'x-mock-user-id': 'shutdown-user' };
    await fetch(`${service.baseUrl}/v1/challenges/initialize`, { method: 'POST', headers });
    await db.pool`update user_goal_progress set progress = 10, status = 'completed', completed_at = now()
      where user_id = 'shutdown-user' and goal_id = 'defeat-10-enemies'`;

    const claim = fetch(`${service.baseUrl}/v1/challenges/starter-challenge/goals/defeat-10-enemies/claim`, {
      method: 'POST',
      headers,
    });
    await Bun.sleep(300);
    const started = Date.now();
    const exited = service.terminate('SIGTERM');
    const response = await claim;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { status: string }).status).toBe('claimed');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);

    const rows = await db.pool<{ status: string }[]>`select status from user_goal_progress
      where user_id = 'shutdown-user' and goal_id = 'defeat-10-enemies'`;
    expect(rows[0]?.status).toBe('claimed');
    expect(fetch(`${service.baseUrl}/healthz`)).rejects.toThrow();
  } finally {
    await service.terminate('SIGKILL');
  }
}, 60_000);

test('a bad challenge configuration stops start-up with one message naming file and path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bad-config-'));
  const path = join(dir, 'challenges.json');
  writeFileSync(
    path,
    JSON.stringify({
      challenges: [
        {
          challengeId: 'c',
          name: 'C',
          goals: [
            {
              goalId: 'g',
              name: 'G',
              eventSource: 'statistic',
              requirement: { statCode: 's', operator: '>=', targetValue: -5 },
              reward: { type: 'ITEM', rewardId: 'r', quantity: 1 },
            },
          ],
        },
      ],
    }),
  );
  const service = await startServiceProcess({ DATABASE_URL: db.url, CHALLENGE_CONFIG_PATH: path });
  expect(await service.process.exited).toBe(1);
  expect(service.output()).toContain(`${path}: challenges[0].goals[0].requirement.targetValue`);
}, 30_000);
