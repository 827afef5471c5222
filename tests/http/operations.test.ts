/** /healthz, /metrics and /swagger: no auth, health against a dead or silent database, request metrics, the OpenAPI document. */
import { afterAll, describe, expect, test } from 'bun:test';
import { createPool } from '../../src/db/client.ts';
import { borrowedDb, createTestApp, type TestApp } from '../helpers/test-app.ts';

const app = await createTestApp();
const devApp = await createTestApp({ auth: 'dev', db: app.db });
afterAll(() => app.close());

/** Elysia runs after-response hooks (where requests are counted) in a setImmediate after responding. */
const afterResponseHooks = () => new Promise<void>((resolve) => setImmediate(resolve));

const scrape = async (target: TestApp) => {
  await afterResponseHooks();
  const response = await target.request('GET', '/metrics');
  expect(response.status).toBe(200);
  return response;
};

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('GET /healthz', () => {
  test('is 200 {"status":"healthy"} as JSON, without a token', async () => {
    for (const target of [app, devApp]) {
      const response = await target.request('GET', '/healthz');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toStartWith('application/json');
      expect(await response.json()).toEqual({ status: 'healthy' });
    }
  });

  test('is 503 UNAVAILABLE at once when the database refuses connections', async () => {
    const pool = createPool({
      url: 'postgres://postgres:postgres@127.0.0.1:1/x',
      maxConnections: 1,
      connectTimeoutSeconds: 1,
    });
    try {
      const down = await createTestApp({ db: borrowedDb(pool) });
      const { value: response, ms } = await timed(() => down.request('GET', '/healthz'));
      expect(ms).toBeLessThan(3000);
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ error: 'UNAVAILABLE', code: 14, details: [] });
      expect(text).not.toContain('127.0.0.1');
      expect(text).not.toContain('ECONNREFUSED');
    } finally {
      await pool.end({ timeout: 0 });
    }
  });

  test('is 503 within 3 s when the database accepts connections but never answers', async () => {
    const silent = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    const pool = createPool({
      url: `postgres://postgres:postgres@127.0.0.1:${silent.port}/x`,
      maxConnections: 1,
      connectTimeoutSeconds: 30,
    });
    try {
      const hanging = await createTestApp({ db: borrowedDb(pool) });
      const { value: response, ms } = await timed(() => hanging.request('GET', '/healthz'));
      expect(ms).toBeLessThan(3000);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: 'UNAVAILABLE', code: 14 });
    } finally {
      await pool.end({ timeout: 0 });
      silent.stop(true);
    }
  });
});

describe('GET /metrics', () => {
  test('counts requests by method, route pattern and status, with latency histograms', async () => {
    const fresh = await createTestApp({ db: app.db });
    expect((await fresh.request('GET', '/v1/challenges', { user: 'metrics-user' })).status).toBe(200);
    expect((await fresh.request('GET', '/v1/challenges', { user: 'metrics-user' })).status).toBe(200);
    expect((await fresh.request('GET', '/v1/challenges/progression', { user: 'metrics-user' })).status).toBe(
      200,
    );
    expect((await fresh.request('GET', '/v1/challenges/no-such', { user: 'metrics-user' })).status).toBe(404);
    const response = await scrape(fresh);
    expect(response.headers.get('content-type')).toStartWith('text/plain');
    const text = await response.text();
    const list = 'method="GET",route="/v1/challenges",status="200"';
    const one = 'method="GET",route="/v1/challenges/:challengeId"';
    expect(text).toContain(`challenge_http_requests_total{${list}} 2\n`);
    expect(text).toContain(`challenge_http_requests_total{${one},status="200"} 1\n`);
    expect(text).toContain(`challenge_http_requests_total{${one},status="404"} 1\n`);
    expect(text).toContain(`challenge_http_request_duration_seconds_bucket{le="+Inf",${list}} 2\n`);
    expect(text).toContain(`challenge_http_request_duration_seconds_count{${list}} 2\n`);
    expect(text).toMatch(/^# TYPE challenge_http_request_duration_seconds histogram$/m);
    expect(text).not.toContain('no-such');
  });

  test('counts rejected requests with their status', async () => {
    const guarded = await createTestApp({ auth: 'dev', db: app.db });
    expect((await guarded.request('GET', '/v1/challenges')).status).toBe(401);
    expect((await guarded.request('GET', '/v1/challenges', { user: 'metrics-token-user' })).status).toBe(200);
    const text = await (await scrape(guarded)).text();
    expect(text).toContain(
      'challenge_http_requests_total{method="GET",route="/v1/challenges",status="401"} 1\n',
    );
    expect(text).toContain(
      'challenge_http_requests_total{method="GET",route="/v1/challenges",status="200"} 1\n',
    );
  });

  test('unknown paths do not become label values', async () => {
    const fresh = await createTestApp({ db: app.db });
    await fresh.request('GET', '/random-path-1');
    await fresh.request('GET', '/random-path-2');
    const text = await (await scrape(fresh)).text();
    expect(text).not.toContain('random-path');
    expect(text).toMatch(/challenge_http_requests_total\{method="GET",route="[^"]*",status="404"\} 2\n/);
  });

  test('needs no token', async () => {
    const response = await devApp.request('GET', '/metrics');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('# HELP challenge_http_requests_total');
  });
});

describe('GET /swagger', () => {
  test('serves the Swagger UI page without a token', async () => {
    const response = await devApp.request('GET', '/swagger');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toStartWith('text/html');
    const html = await response.text();
    expect(html.toLowerCase()).toContain('<html');
    expect(html).toContain('swagger/json');
  });

  test('/swagger/json is the OpenAPI document of every route', async () => {
    const response = await devApp.request('GET', '/swagger/json');
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toStartWith('3.');
    const methodsOf = (path: string) => Object.keys(doc.paths[path] ?? {}).sort();
    expect(methodsOf('/v1/challenges')).toEqual(['get']);
    expect(methodsOf('/v1/challenges/initialize')).toEqual(['post']);
    expect(methodsOf('/v1/challenges/{challengeId}')).toEqual(['get']);
    expect(methodsOf('/v1/challenges/{challengeId}/goals/{goalId}/active')).toEqual(['put']);
    expect(methodsOf('/v1/challenges/{challengeId}/goals/{goalId}/claim')).toEqual(['post']);
    expect(methodsOf('/healthz')).toEqual(['get']);
    expect(methodsOf('/metrics')).toEqual(['get']);
  });

  test('documents the deadline, body limit and query errors of the /v1 routes', async () => {
    const doc = (await (await devApp.request('GET', '/swagger/json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const statusesOf = (path: string, method: string) =>
      Object.keys(doc.paths[path]?.[method]?.responses ?? {});
    expect(statusesOf('/v1/challenges', 'get')).toEqual(['200', '400', '401', '413', '500', '503']);
    expect(statusesOf('/v1/challenges/{challengeId}', 'get')).toEqual([
      '200',
      '400',
      '401',
      '404',
      '413',
      '500',
      '503',
    ]);
    expect(statusesOf('/v1/challenges/initialize', 'post')).toEqual([
      '200',
      '400',
      '401',
      '413',
      '500',
      '503',
    ]);
    expect(statusesOf('/v1/challenges/{challengeId}/goals/{goalId}/active', 'put')).toEqual([
      '200',
      '400',
      '401',
      '404',
      '413',
      '500',
      '503',
    ]);
    expect(statusesOf('/v1/challenges/{challengeId}/goals/{goalId}/claim', 'post')).toContain('413');
  });
});

describe('deadlines', () => {
  test('src/http has one deadline definition, in deadline.ts', async () => {
    const racing: string[] = [];
    for await (const file of new Bun.Glob('src/http/**/*.ts').scan('.')) {
      const text = await Bun.file(file).text();
      if (/Promise\.race\(|setTimeout\(/.test(text)) racing.push(file);
    }
    expect(racing).toEqual(['src/http/deadline.ts']);
  });
});
