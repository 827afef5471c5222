import { describe, expect, test } from 'bun:test';
import type { Reward } from '../../src/domain/types.ts';
import { createAgsGranter } from '../../src/rewards/ags-granter.ts';
import { type GrantRequest, type RetryPolicy, RewardGrantError } from '../../src/rewards/reward-granter.ts';
import { CLIENT_ID, CLIENT_SECRET, type FakeAgsOptions, startFakeAgs } from './fake-ags.ts';
import { closedPortUrl, json, recordAttempts, rejectionOf } from './fake-server.ts';

const FAST: RetryPolicy = { maxAttempts: 4, initialDelayMs: 5, maxDelayMs: 20, totalTimeoutMs: 2_000 };

const ITEM: Reward = { type: 'ITEM', rewardId: 'sword-01', quantity: 2 };
const WALLET: Reward = { type: 'WALLET', rewardId: 'GOLD', quantity: 50 };

const grantOf = (reward: Reward, overrides: Partial<GrantRequest> = {}): GrantRequest => ({
  userId: 'user-1',
  namespace: 'test-ns',
  challengeId: 'daily',
  goalId: 'kill-10',
  reward,
  idempotencyKey: 'user-1:kill-10:1',
  ...overrides,
});

function setup(fake: FakeAgsOptions = {}, granter: { retry?: RetryPolicy; requestTimeoutMs?: number } = {}) {
  const ags = startFakeAgs(fake);
  const recorder = recordAttempts();
  const agsGranter = createAgsGranter(
    {
      baseUrl: ags.url,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      retry: granter.retry ?? FAST,
      ...granter,
    },
    recorder.hooks,
  );
  return { ags, granter: agsGranter, ...recorder };
}

describe('AGS granter', () => {
  test('gets a client-credentials token with Basic auth and grants an ITEM as an entitlement', async () => {
    const { ags, granter, outcomes } = setup();
    await using _ = ags;
    await granter.grant(grantOf(ITEM));

    const [tokenCall] = ags.tokenRequests;
    expect(tokenCall?.method).toBe('POST');
    const basic = tokenCall?.headers.get('authorization')?.replace(/^Basic /, '') ?? '';
    expect(Buffer.from(basic, 'base64').toString('utf8')).toBe(`${CLIENT_ID}:${CLIENT_SECRET}`);
    expect(tokenCall?.headers.get('content-type')).toStartWith('application/x-www-form-urlencoded');
    expect(new URLSearchParams(tokenCall?.body).get('grant_type')).toBe('client_credentials');

    expect(ags.platformRequests).toHaveLength(1);
    const [call] = ags.platformRequests;
    expect(call?.method).toBe('POST');
    expect(call?.path).toBe('/platform/admin/namespaces/test-ns/users/user-1/entitlements');
    expect(call?.headers.get('authorization')).toBe('Bearer token-1');
    expect(call?.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(call?.body ?? '')).toEqual([
      { itemId: 'sword-01', itemNamespace: 'test-ns', quantity: 2 },
    ]);
    expect(outcomes()).toEqual(['granted']);
  });

  test('credits a WALLET reward to the currency named by rewardId', async () => {
    const { ags, granter } = setup();
    await using _ = ags;
    await granter.grant(grantOf(WALLET));

    const [call] = ags.platformRequests;
    expect(call?.method).toBe('PUT');
    expect(call?.path).toBe('/platform/admin/namespaces/test-ns/users/user-1/wallets/GOLD/credit');
    expect(JSON.parse(call?.body ?? '')).toEqual({ amount: 50, reason: 'challenge:user-1:kill-10:1' });
  });

  test('percent-encodes path segments', async () => {
    const { ags, granter } = setup();
    await using _ = ags;
    await granter.grant(
      grantOf({ type: 'WALLET', rewardId: 'GO/LD', quantity: 1 }, { userId: 'a/b c', namespace: 'ns?x' }),
    );
    expect(ags.platformRequests[0]?.path).toBe(
      '/platform/admin/namespaces/ns%3Fx/users/a%2Fb%20c/wallets/GO%2FLD/credit',
    );
  });

  test('reuses the token across grants and shares one token request between concurrent grants', async () => {
    const { ags, granter } = setup();
    await using _ = ags;
    await Promise.all([1, 2, 3, 4, 5].map(() => granter.grant(grantOf(ITEM))));
    await granter.grant(grantOf(WALLET));
    expect(ags.tokenRequests).toHaveLength(1);
    expect(ags.platformRequests.map((call) => call.headers.get('authorization'))).toEqual(
      Array(6).fill('Bearer token-1'),
    );
  });

  test('refreshes the token before it expires', async () => {
    const { ags, granter } = setup({ expiresIn: 1 });
    await using _ = ags;
    await granter.grant(grantOf(ITEM));
    await granter.grant(grantOf(ITEM));
    expect(ags.tokenRequests).toHaveLength(1);
    // A 1 s token is renewed after half its lifetime.
    await Bun.sleep(600);
    await granter.grant(grantOf(ITEM));
    expect(ags.tokenRequests).toHaveLength(2);
    expect(ags.platformRequests.at(-1)?.headers.get('authorization')).toBe('Bearer token-2');
  });

  test('fetches a new token once when the platform answers 401, then succeeds', async () => {
    const { ags, granter, outcomes } = setup();
    await using _ = ags;
    await granter.grant(grantOf(ITEM));
    ags.revoke('token-1');
    await granter.grant(grantOf(ITEM));

    expect(ags.tokenRequests).toHaveLength(2);
    expect(ags.platformRequests.map((call) => call.headers.get('authorization'))).toEqual([
      'Bearer token-1',
      'Bearer token-1',
      'Bearer token-2',
    ]);
    expect(outcomes()).toEqual(['granted', 'granted']);
  });

  test('a 401 with a fresh token is permanent', async () => {
    const { ags, granter } = setup({ platform: () => json({ errorMessage: 'forbidden' }, 401) });
    await using _ = ags;
    const error = await rejectionOf(granter.grant(grantOf(ITEM)));
    expect(error).toBeInstanceOf(RewardGrantError);
    expect(error).toMatchObject({ permanent: true, status: 401 });
    expect(ags.tokenRequests).toHaveLength(2);
    expect(ags.platformRequests).toHaveLength(2);
  });

  test('refused credentials are permanent and the secret appears in no message', async () => {
    const { ags, granter, attempts } = setup({
      token: () => json({ error: 'invalid_client', error_description: 'client authentication failed' }, 401),
    });
    await using _ = ags;
    const error = await rejectionOf(granter.grant(grantOf(ITEM)));
    expect(error).toMatchObject({ permanent: true, status: 401 });
    expect(ags.tokenRequests).toHaveLength(1);
    expect(ags.platformRequests).toHaveLength(0);
    const texts = [String(error), ...attempts.map((attempt) => attempt.detail)].join('\n');
    expect(texts).toContain('AB_CLIENT_SECRET');
    expect(texts).not.toContain(CLIENT_SECRET);
    expect(texts).not.toContain(Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'));
  });

  test('a token endpoint failing with 5xx is retried', async () => {
    let calls = 0;
    const { ags, granter } = setup({ token: () => (++calls === 1 ? json({}, 503) : undefined) });
    await using _ = ags;
    await granter.grant(grantOf(ITEM));
    expect(ags.tokenRequests).toHaveLength(2);
    expect(ags.platformRequests).toHaveLength(1);
  });

  test('5xx twice then 200 is granted on the third attempt', async () => {
    const { ags, granter, outcomes } = setup({
      platform: (_request, n) => (n <= 2 ? json({ errorMessage: 'busy' }, n === 1 ? 500 : 502) : json({})),
    });
    await using _ = ags;
    await granter.grant(grantOf(ITEM));
    expect(ags.platformRequests).toHaveLength(3);
    expect(outcomes()).toEqual(['retry', 'retry', 'granted']);
    expect(new Set(ags.platformRequests.map((call) => call.body)).size).toBe(1);
  });

  test('503 forever stops after maxAttempts with a non-permanent error', async () => {
    const { ags, granter, outcomes } = setup({ platform: () => json({ errorMessage: 'down' }, 503) });
    await using _ = ags;
    const error = await rejectionOf(granter.grant(grantOf(ITEM)));
    expect(error).toBeInstanceOf(RewardGrantError);
    expect(error).toMatchObject({ permanent: false, status: 503 });
    expect(ags.platformRequests).toHaveLength(4);
    expect(outcomes()).toEqual(['retry', 'retry', 'retry', 'failed']);
  });

  test('503 forever stops within the total time budget', async () => {
    const retry = { maxAttempts: 100, initialDelayMs: 40, maxDelayMs: 80, totalTimeoutMs: 300 };
    const { ags, granter } = setup({ platform: () => json({}, 503) }, { retry });
    await using _ = ags;
    const started = performance.now();
    const error = await rejectionOf(granter.grant(grantOf(ITEM)));
    expect(performance.now() - started).toBeLessThan(400);
    expect(error).toMatchObject({ permanent: false, status: 503 });
    expect(ags.platformRequests.length).toBeGreaterThanOrEqual(3);
    expect(ags.platformRequests.length).toBeLessThan(100);
  });

  test.each([400, 403, 404, 409, 422])('HTTP %d is permanent after exactly one attempt', async (status) => {
    const { ags, granter, outcomes } = setup({
      platform: () => json({ errorMessage: 'no such item' }, status),
    });
    await using _ = ags;
    const error = await rejectionOf(granter.grant(grantOf(ITEM)));
    expect(error).toMatchObject({ permanent: true, status });
    expect(String(error)).toContain('no such item');
    expect(ags.platformRequests).toHaveLength(1);
    expect(outcomes()).toEqual(['failed']);
  });

  test('429 waits for Retry-After before the next attempt', async () => {
    const { ags, granter } = setup(
      { platform: (_request, n) => (n === 1 ? json({}, 429, { 'retry-after': '1' }) : json({})) },
      { retry: { ...FAST, totalTimeoutMs: 5_000 } },
    );
    await using _ = ags;
    await granter.grant(grantOf(ITEM));
    const [first, second] = ags.platformRequests;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  test('a Retry-After beyond the remaining budget fails at once instead of waiting', async () => {
    const { ags, granter } = setup({ platform: () => json({}, 429, { 'retry-after': '120' }) });
    await using _ = ags;
    const started = performance.now();
    const error = await rejectionOf(granter.grant(grantOf(ITEM)));
    expect(performance.now() - started).toBeLessThan(500);
    expect(error).toMatchObject({ permanent: false, status: 429 });
    expect(ags.platformRequests).toHaveLength(1);
  });

  test('a hanging request times out and is retried', async () => {
    const { ags, granter, attempts } = setup(
      { platform: (_request, n) => (n === 1 ? new Promise<Response>(() => {}) : json({})) },
      { requestTimeoutMs: 100 },
    );
    await using _ = ags;
    await granter.grant(grantOf(ITEM));
    expect(ags.platformRequests).toHaveLength(2);
    expect(attempts[0]?.detail).toContain('no response within 100 ms');
  });

  test('an unreachable platform is a non-permanent failure', async () => {
    const granter = createAgsGranter({
      baseUrl: await closedPortUrl(),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      retry: FAST,
    });
    const error = await rejectionOf(granter.grant(grantOf(ITEM)));
    expect(error).toMatchObject({ permanent: false });
    expect(String(error)).not.toContain(CLIENT_SECRET);
  });

  test.each([0, -1, 1.5, 2 ** 31])(
    'quantity %p is refused without calling the platform',
    async (quantity) => {
      const { ags, granter, outcomes } = setup();
      await using _ = ags;
      const error = await rejectionOf(granter.grant(grantOf({ ...ITEM, quantity })));
      expect(error).toMatchObject({ permanent: true });
      expect(ags.tokenRequests).toHaveLength(0);
      expect(outcomes()).toEqual(['failed']);
    },
  );

  test('invalid options are refused at creation', () => {
    const base = { baseUrl: 'http://localhost', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
    expect(() => createAgsGranter({ ...base, baseUrl: 'not a url' })).toThrow('AB_BASE_URL');
    expect(() => createAgsGranter({ ...base, clientSecret: '' })).toThrow('AB_CLIENT_SECRET');
    expect(() => createAgsGranter({ ...base, retry: { ...FAST, maxAttempts: 0 } })).toThrow('maxAttempts');
  });
});
