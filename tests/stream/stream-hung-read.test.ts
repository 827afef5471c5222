/**
 * The live streams' reads share one connection, one read after another. When that connection
 * goes silent for good (a dropped network path: no reset, no answer), the read waiting on it is
 * given up at its deadline and the pool replaced, so streams open and changes flow again instead
 * of every stream of the process stopping until a restart.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { statEvent } from '../helpers/pipeline-events.ts';
import { serveStreams } from '../helpers/stream-app.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { createTestDb } from '../helpers/test-db.ts';

const db = await createTestDb();
const direct = new URL(db.url);
const proxy = startTcpProxy({ hostname: direct.hostname, port: Number(direct.port) });
afterAll(async () => {
  proxy.stop();
  await db.drop();
});

describe('a read that never answers', () => {
  test('is given up, and the streams carry on over a new connection', async () => {
    const proxied = new URL(db.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    // Only the reads go through the proxy; the change feed listens directly.
    const { app, openNewPlayer, url } = await serveStreams({
      db: { ...db, url: proxied.toString() },
      streamFeed: { mode: 'listen', url: db.url },
    });
    const { user, stream } = await openNewPlayer('hung');
    try {
      expect(proxy.silenceOpenConnections()).toBeGreaterThan(0);

      // The next read waits on the silent connection until its deadline; then opens work again.
      const second = `hung-${crypto.randomUUID()}`;
      await app.request('POST', '/v1/challenges/initialize', { user: second });
      const started = performance.now();
      let opened: Response | undefined;
      const statuses: number[] = [];
      while (!opened && performance.now() - started < 25_000) {
        const response = await fetch(url, { headers: { 'x-mock-user-id': second } });
        if (response.status === 200) opened = response;
        else {
          statuses.push(response.status);
          await response.body?.cancel();
        }
      }
      expect(statuses.every((status) => status === 503)).toBe(true);
      expect(opened?.status).toBe(200);
      await opened?.body?.cancel();

      // The stream opened before the silence gets the changes committed after it.
      await app.applyEvents([statEvent(user, 'tutorial_completed', 1)], new Date());
      const [completed] = await stream.waitFor((e) => e.event === 'goal.completed', { timeoutMs: 10_000 });
      expect(completed?.json['goalId']).toBe('tutorial');
    } finally {
      stream.close();
    }
  }, 45_000);
});
