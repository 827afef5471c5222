/**
 * A test app serving live streams over a real port, closed after the file's tests, with a way to
 * open a player's stream and wait for its snapshot.
 */
import { afterAll } from 'bun:test';
import { openSse, type SseClient } from './sse.ts';
import { createTestApp, type TestApp, type TestAppOptions } from './test-app.ts';

const apps: TestApp[] = [];
afterAll(async () => {
  for (const app of apps) await app.close();
});

export async function serveStreams(options: TestAppOptions = {}, idleTimeoutSeconds?: number) {
  const app = await createTestApp(options);
  apps.push(app);
  const server = app.listen(idleTimeoutSeconds === undefined ? {} : { idleTimeoutSeconds });
  const url = `${server.baseUrl}/v1/challenges/stream`;
  /** The player's stream (mock auth), once its snapshot arrived; `query` starts with `?`. */
  const open = async (user: string, query = ''): Promise<SseClient> => {
    const stream = await openSse(`${url}${query}`, { 'x-mock-user-id': user });
    await stream.waitFor((e) => e.event === 'snapshot');
    return stream;
  };
  /** A new player (`<prefix>-<uuid>`), initialized, with its stream open after the snapshot. */
  const openNewPlayer = async (prefix: string): Promise<{ user: string; stream: SseClient }> => {
    const user = `${prefix}-${crypto.randomUUID()}`;
    await app.request('POST', '/v1/challenges/initialize', { user });
    return { user, stream: await open(user) };
  };
  return { app, server, url, open, openNewPlayer };
}

/**
 * Terminates the service's database connections that carry `applicationName` (the reads, or the
 * LISTEN connection), as a database restart or a proxy would; returns how many were cut.
 */
export async function cutConnections(app: TestApp, applicationName: string): Promise<number> {
  const cut = await app.db.pool<{ ok: boolean }[]>`
    select pg_terminate_backend(pid) as ok from pg_stat_activity
    where application_name = ${applicationName} and datname = current_database()
      and pid <> pg_backend_pid()`;
  return cut.filter((row) => row.ok).length;
}
