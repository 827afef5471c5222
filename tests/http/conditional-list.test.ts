/**
 * Polling clients: the list carries an ETag, `If-None-Match` with it answers 304 with no body
 * until the player's progress changes, and clients that accept gzip get it compressed.
 */
import { afterAll, expect, test } from 'bun:test';
import { gunzipSync } from 'node:zlib';
import { generateChallengeConfig } from '../../loadtest/lib/workload.ts';
import { parseChallengeConfig } from '../../src/config/challenge-config.ts';
import { createCatalog } from '../../src/domain/catalog.ts';
import { applyEventBatch } from '../../src/pipeline/apply-events.ts';
import { createTestApp } from '../helpers/test-app.ts';

const app = await createTestApp();
afterAll(() => app.close());
const user = 'polling-player';
await app.request('POST', '/v1/challenges/initialize', { user });

const list = (headers: Record<string, string> = {}, path = '/v1/challenges') =>
  app.request('GET', path, { user, headers });

test('an unchanged list is 304 without a body; a change gives a new ETag', async () => {
  const first = await list();
  expect(first.status).toBe(200);
  const etag = first.headers.get('etag') ?? '';
  expect(etag).toMatch(/^W\/"[0-9a-z]+"$/);
  expect(first.headers.get('cache-control')).toBe('private, no-cache');
  const body = await first.text();

  const again = await list({ 'if-none-match': etag });
  expect(again.status).toBe(304);
  expect(await again.text()).toBe('');
  expect(again.headers.get('etag')).toBe(etag);
  // A list of tags, and the tag without its weak prefix, match too.
  expect((await list({ 'if-none-match': `"other", ${etag.slice(2)}` })).status).toBe(304);
  expect((await list({ 'if-none-match': '"stale"' })).status).toBe(200);

  const now = Date.now();
  await applyEventBatch(
    app.db.pool,
    app.catalog,
    [
      {
        seq: 1,
        kind: 'statistic',
        id: 'poll-1',
        userId: user,
        statCode: 'enemy_kills',
        value: 3,
        inc: 0,
        receivedAt: now,
        occurredAt: now,
      },
    ],
    new Date(now),
  );
  const changed = await list({ 'if-none-match': etag });
  expect(changed.status).toBe(200);
  expect(changed.headers.get('etag')).not.toBe(etag);
  expect(await changed.text()).not.toBe(body);
  // One challenge has its own tag.
  const one = await list({}, '/v1/challenges/starter-challenge');
  expect(
    (await list({ 'if-none-match': one.headers.get('etag') ?? '' }, '/v1/challenges/starter-challenge'))
      .status,
  ).toBe(304);
});

test('gzip for clients that accept it, the same JSON; none for those that do not', async () => {
  const plain = await list();
  const text = await plain.text();
  const zipped = await list({ 'accept-encoding': 'gzip, deflate, br' });
  expect(zipped.headers.get('content-encoding')).toBe('gzip');
  expect(zipped.headers.get('vary')).toBe('Accept-Encoding');
  expect(zipped.headers.get('etag')).toBe(plain.headers.get('etag'));
  const bytes = new Uint8Array(await zipped.arrayBuffer());
  expect(bytes.length).toBeLessThan(text.length);
  expect(gunzipSync(bytes).toString('utf8')).toBe(text);
  expect(
    (await list({ 'accept-encoding': 'gzip;q=0, identity' })).headers.get('content-encoding'),
  ).toBeNull();
  expect((await list({ 'accept-encoding': 'br' })).headers.get('content-encoding')).toBeNull();
});

// Bun writes a large answer completed after an await piece by piece, and an order of magnitude
// slower than one answered at once; the list's body is handed over in one piece, chunked. The
// original's workload makes a list of ~190 KB.
test('over a real port, a large list: the same JSON, plain or gzip, in one chunked body; 304 with none', async () => {
  await using large = await createTestApp({
    catalog: createCatalog(parseChallengeConfig(generateChallengeConfig(), 'the load-test workload')),
  });
  const player = 'large-list-player';
  await large.request('POST', '/v1/challenges/initialize', { user: player });
  const expected = await (await large.request('GET', '/v1/challenges', { user: player })).text();
  expect(expected.length).toBeGreaterThan(100_000);
  const server = large.listen();
  try {
    const get = (headers: Record<string, string>) =>
      fetch(`${server.baseUrl}/v1/challenges`, { headers: { 'x-mock-user-id': player, ...headers } });
    const plain = await get({ 'accept-encoding': 'identity' });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('transfer-encoding')).toBe('chunked');
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(plain.headers.get('x-request-id')).toBeTruthy();
    expect(await plain.text()).toBe(expected);

    // Compressed, the list is below the size from which the body goes in one piece.
    const zipped = await get({ 'accept-encoding': 'gzip' });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(await zipped.text()).toBe(expected);

    const unchanged = await get({ 'if-none-match': plain.headers.get('etag') ?? '' });
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');
  } finally {
    await server.stop();
  }
});

test('over a real port, a small list keeps its plain body and length', async () => {
  const server = app.listen();
  try {
    const response = await fetch(`${server.baseUrl}/v1/challenges`, {
      headers: { 'x-mock-user-id': user, 'accept-encoding': 'gzip' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('transfer-encoding')).toBeNull();
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(0);
    const body = (await response.json()) as { challenges: unknown[] };
    expect(body.challenges.length).toBeGreaterThan(0);
  } finally {
    await server.stop();
  }
});
