import { describe, expect, test } from 'bun:test';
import { createAgsTokenSource } from '../../src/rewards/ags-token.ts';
import { CLIENT_ID, CLIENT_SECRET, startFakeAgs } from './fake-ags.ts';
import { json, rejectionOf } from './fake-server.ts';

const signal = () => AbortSignal.timeout(1_000);

function tokenSource(baseUrl: string, clock: { now: number }) {
  return createAgsTokenSource({
    baseUrl,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    requestTimeoutMs: 1_000,
    now: () => clock.now,
  });
}

describe('AGS token source', () => {
  test('renews a long-lived token 60 s before it expires', async () => {
    await using ags = startFakeAgs({ expiresIn: 3600 });
    const clock = { now: 1_000_000 };
    const tokens = tokenSource(ags.url, clock);

    expect(await tokens.get(signal())).toBe('token-1');
    clock.now += 3_539_000;
    expect(await tokens.get(signal())).toBe('token-1');
    clock.now += 1_000;
    expect(await tokens.get(signal())).toBe('token-2');
    expect(ags.tokenRequests).toHaveLength(2);
  });

  test('invalidate drops only the token that was refused', async () => {
    await using ags = startFakeAgs();
    const tokens = tokenSource(ags.url, { now: 0 });
    await tokens.get(signal());
    tokens.invalidate('some-older-token');
    expect(await tokens.get(signal())).toBe('token-1');
    tokens.invalidate('token-1');
    expect(await tokens.get(signal())).toBe('token-2');
  });

  test('a response without expires_in is used once and not cached', async () => {
    let n = 0;
    await using ags = startFakeAgs({ token: () => json({ access_token: `bare-${++n}` }) });
    const tokens = tokenSource(ags.url, { now: 0 });
    expect(await tokens.get(signal())).toBe('bare-1');
    expect(await tokens.get(signal())).toBe('bare-2');
  });

  test('a response without access_token is a non-permanent error', async () => {
    await using ags = startFakeAgs({ token: () => json({ expires_in: 3600 }) });
    const error = await rejectionOf(tokenSource(ags.url, { now: 0 }).get(signal()));
    expect(error).toMatchObject({ permanent: false });
  });

  test("a caller's abort does not cancel the shared token request for others", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await using ags = startFakeAgs({
      token: async () => {
        await gate;
        return undefined;
      },
    });
    const tokens = tokenSource(ags.url, { now: 0 });
    const impatient = tokens.get(AbortSignal.timeout(20));
    const patient = tokens.get(signal());
    expect(await rejectionOf(impatient)).toMatchObject({ name: 'TimeoutError' });
    release();
    expect(await patient).toBe('token-1');
    expect(ags.tokenRequests).toHaveLength(1);
  });
});
