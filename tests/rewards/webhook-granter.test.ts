import { describe, expect, test } from 'bun:test';
import { type GrantRequest, type RetryPolicy, RewardGrantError } from '../../src/rewards/reward-granter.ts';
import { createWebhookGranter } from '../../src/rewards/webhook-granter.ts';
import { signWebhookBody, verifyWebhookSignature } from '../../src/webhooks/signature.ts';
import {
  type FakeHandler,
  json,
  type RecordedRequest,
  recordAttempts,
  rejectionOf,
  startFakeServer,
} from './fake-server.ts';

const SECRET = 'webhook-signing-secret';
const FAST: RetryPolicy = { maxAttempts: 4, initialDelayMs: 5, maxDelayMs: 20, totalTimeoutMs: 2_000 };

const REQUEST: GrantRequest = {
  userId: 'user-1',
  namespace: 'test-ns',
  challengeId: 'daily',
  goalId: 'kill-10',
  reward: { type: 'ITEM', rewardId: 'sword-01', quantity: 3 },
  idempotencyKey: 'user-1:kill-10:7',
};

function setup(handle: FakeHandler) {
  const server = startFakeServer(handle);
  const recorder = recordAttempts();
  const granter = createWebhookGranter(
    { url: `${server.url}/grants`, secret: SECRET, retry: FAST },
    recorder.hooks,
  );
  return { server, granter, ...recorder };
}

const isSigned = (request: RecordedRequest) =>
  verifyWebhookSignature(
    SECRET,
    request.headers.get('x-challenge-timestamp') ?? '',
    request.body,
    request.headers.get('x-challenge-signature') ?? '',
  );

describe('webhook granter', () => {
  test('POSTs the signed grant with its idempotency key; 2xx is granted', async () => {
    const { server, granter, outcomes } = setup(() => new Response(null, { status: 204 }));
    await using _ = server;
    await granter.grant(REQUEST);

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    if (!request) throw new Error('no request received');
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/grants');
    expect(request.headers.get('content-type')).toBe('application/json');
    expect(request.headers.get('idempotency-key')).toBe(REQUEST.idempotencyKey);
    expect(Math.abs(Number(request.headers.get('x-challenge-timestamp')) - Date.now() / 1000)).toBeLessThan(
      5,
    );
    expect(request.headers.get('x-challenge-signature')).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(isSigned(request)).toBe(true);
    expect(JSON.parse(request.body)).toEqual({
      userId: 'user-1',
      namespace: 'test-ns',
      challengeId: 'daily',
      goalId: 'kill-10',
      reward: { type: 'ITEM', rewardId: 'sword-01', quantity: 3 },
      idempotencyKey: 'user-1:kill-10:7',
    });
    expect(outcomes()).toEqual(['granted']);
  });

  test('500 then 200 is retried with the same body and idempotency key, each attempt signed', async () => {
    let n = 0;
    const { server, granter, outcomes } = setup(() =>
      ++n === 1 ? json({ error: 'oops' }, 500) : json({ ok: true }),
    );
    await using _ = server;
    await granter.grant(REQUEST);

    expect(server.requests).toHaveLength(2);
    expect(server.requests.map((request) => request.headers.get('idempotency-key'))).toEqual([
      REQUEST.idempotencyKey,
      REQUEST.idempotencyKey,
    ]);
    expect(new Set(server.requests.map((request) => request.body)).size).toBe(1);
    expect(server.requests.every(isSigned)).toBe(true);
    expect(outcomes()).toEqual(['retry', 'granted']);
  });

  test('no retry is started with only a sliver of the budget left', async () => {
    // The first answer comes late in the budget and asks for a short wait: the retry would have
    // ~100 ms before the budget ends, and the backend might apply a request the claim gives up on.
    const server = startFakeServer(async () => {
      await Bun.sleep(800);
      return new Response('busy', { status: 503, headers: { 'retry-after': '0.1' } });
    });
    await using _ = server;
    const granter = createWebhookGranter(
      { url: `${server.url}/grants`, secret: SECRET, retry: { ...FAST, totalTimeoutMs: 1_000 } },
      recordAttempts().hooks,
    );
    const error = await granter.grant(REQUEST).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(RewardGrantError);
    expect(server.requests).toHaveLength(1);
  });

  test('422 is permanent after exactly one attempt', async () => {
    const { server, granter, outcomes } = setup(() => json({ error: 'unknown reward' }, 422));
    await using _ = server;
    const error = await rejectionOf(granter.grant(REQUEST));
    expect(error).toBeInstanceOf(RewardGrantError);
    expect(error).toMatchObject({ permanent: true, status: 422 });
    expect(server.requests).toHaveLength(1);
    expect(outcomes()).toEqual(['failed']);
  });

  test('a redirect is not followed and is permanent', async () => {
    const { server, granter } = setup((request) =>
      request.path === '/grants'
        ? new Response(null, { status: 302, headers: { location: '/elsewhere' } })
        : json({ ok: true }),
    );
    await using _ = server;
    const error = await rejectionOf(granter.grant(REQUEST));
    expect(error).toMatchObject({ permanent: true, status: 302 });
    expect(server.requests.map((request) => request.path)).toEqual(['/grants']);
  });

  test('errors name the host, not the secret', async () => {
    const { server, granter } = setup(() => json({}, 503));
    await using _ = server;
    const error = await rejectionOf(granter.grant(REQUEST));
    expect(error).toMatchObject({ permanent: false, status: 503 });
    expect(String(error)).toContain(new URL(server.url).host);
    expect(String(error)).not.toContain(SECRET);
  });

  test('invalid options are refused at creation', () => {
    expect(() => createWebhookGranter({ url: 'http://localhost/x', secret: '' })).toThrow('secret');
    expect(() => createWebhookGranter({ url: 'ftp://localhost/x', secret: SECRET })).toThrow('http(s)');
    expect(() => createWebhookGranter({ url: 'nope', secret: SECRET })).toThrow('not a valid URL');
  });
});

describe('verifyWebhookSignature', () => {
  const now = 1_700_000_000;
  const timestamp = String(now);
  const body = '{"userId":"user-1"}';
  const signature = signWebhookBody(SECRET, timestamp, body);
  const verify = (overrides: { secret?: string; timestamp?: string; body?: string; signature?: string }) =>
    verifyWebhookSignature(
      overrides.secret ?? SECRET,
      overrides.timestamp ?? timestamp,
      overrides.body ?? body,
      overrides.signature ?? signature,
      { nowSeconds: now + 10 },
    );

  test.each([
    ['the exact signature', true, {}],
    ['another secret', false, { secret: 'wrong' }],
    ['a changed body', false, { body: '{"userId":"user-2"}' }],
    ['another timestamp', false, { timestamp: String(now + 1) }],
    ['a non-numeric timestamp', false, { timestamp: 'abc' }],
    ['the hex without its prefix', false, { signature: signature.replace('sha256=', '') }],
    ['a truncated signature', false, { signature: signature.slice(0, -1) }],
    ['an empty signature', false, { signature: '' }],
  ])('%s → %p', (_name, expected, overrides) => {
    expect(verify(overrides)).toBe(expected);
  });

  test('refuses a timestamp outside the tolerance unless the check is disabled', () => {
    const old = String(now - 301);
    const oldSignature = signWebhookBody(SECRET, old, body);
    expect(verifyWebhookSignature(SECRET, old, body, oldSignature, { nowSeconds: now })).toBe(false);
    expect(
      verifyWebhookSignature(SECRET, old, body, oldSignature, { nowSeconds: now, toleranceSeconds: 600 }),
    ).toBe(true);
    expect(
      verifyWebhookSignature(SECRET, old, body, oldSignature, {
        nowSeconds: now,
        toleranceSeconds: Infinity,
      }),
    ).toBe(true);
  });
});
