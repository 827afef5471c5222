import { afterAll, beforeAll, describe, expect, setSystemTime, test } from 'bun:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { createAuthenticator, type JwksAuthOptions, type KeySetFailure } from '../../src/auth/index.ts';
import { appErrorOf, expectRejected, reasonLog } from './expect-rejected.ts';
import {
  bearer,
  closedPortUrl,
  createSigningKey,
  type JwksServer,
  type SigningKey,
  signToken,
  startJwksServer,
  startRawServer,
} from './jwks-server.ts';

const NAMESPACE = 'accelbyte';

let rsaKey: SigningKey;
let ecKey: SigningKey;
let server: JwksServer;

beforeAll(async () => {
  rsaKey = await createSigningKey('RS256', 'rsa-1');
  ecKey = await createSigningKey('ES256', 'ec-1');
  server = startJwksServer([rsaKey, ecKey]);
});
afterAll(() => server.stop());

/** A fresh authenticator per test, so no test sees another's cached key set. */
function jwksAuth(overrides: Partial<JwksAuthOptions> = {}) {
  const log = reasonLog();
  const authenticate = createAuthenticator({
    mode: 'jwks',
    jwksUrl: server.url,
    namespace: NAMESPACE,
    onReject: log.onReject,
    ...overrides,
  });
  return { authenticate, reasons: log.reasons };
}

describe('jwks mode accepts', () => {
  const cases: { name: string; headers: () => Promise<Headers>; userId: string }[] = [
    {
      name: 'an RS256 token with a matching namespace',
      headers: async () => bearer(await signToken(rsaKey, { sub: 'user-rsa', namespace: NAMESPACE })),
      userId: 'user-rsa',
    },
    {
      name: 'an ES256 token',
      headers: async () => bearer(await signToken(ecKey, { sub: 'user-ec', namespace: NAMESPACE })),
      userId: 'user-ec',
    },
    {
      name: 'a token without a namespace claim',
      headers: async () => bearer(await signToken(rsaKey, { sub: 'user-no-ns' })),
      userId: 'user-no-ns',
    },
    {
      name: 'a lower-case scheme',
      headers: async () =>
        new Headers({ authorization: `bearer ${await signToken(rsaKey, { sub: 'user-lower' })}` }),
      userId: 'user-lower',
    },
    {
      name: 'a token expired within the default 30 s clock tolerance',
      headers: async () => bearer(await signToken(rsaKey, { sub: 'user-skew' }, { expiresIn: -10 })),
      userId: 'user-skew',
    },
  ];

  for (const { name, headers, userId } of cases) {
    test(name, async () => {
      const { authenticate, reasons } = jwksAuth();
      expect(await authenticate(await headers())).toEqual({ userId });
      expect(reasons).toEqual([]);
    });
  }
});

describe('jwks mode rejects', () => {
  const cases: { name: string; headers: () => Promise<Headers>; reason: string | RegExp }[] = [
    {
      name: 'a missing Authorization header',
      headers: async () => new Headers(),
      reason: 'missing Authorization',
    },
    {
      name: 'the Basic scheme',
      headers: async () => new Headers({ authorization: 'Basic dXNlcjpwYXNz' }),
      reason: "scheme 'Basic' is not Bearer",
    },
    {
      name: 'Bearer without a token',
      headers: async () => new Headers({ authorization: 'Bearer ' }),
      reason: 'empty bearer token',
    },
    {
      name: 'Bearer with two tokens',
      headers: async () => new Headers({ authorization: 'Bearer abc def' }),
      reason: 'more than one token',
    },
    { name: 'a malformed token', headers: async () => bearer('abc'), reason: 'ERR_JWS_INVALID' },
    {
      name: 'a signature by another key under the same kid',
      headers: async () => {
        const impostor = await createSigningKey('RS256', rsaKey.kid);
        return bearer(await signToken(impostor, { sub: 'mallory' }));
      },
      reason: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    },
    {
      name: 'an unknown kid',
      headers: async () => bearer(await signToken(await createSigningKey('RS256', 'unknown'), { sub: 'u' })),
      reason: 'ERR_JWKS_NO_MATCHING_KEY',
    },
    {
      name: 'an expired token',
      headers: async () => bearer(await signToken(rsaKey, { sub: 'user-1' }, { expiresIn: -120 })),
      reason: 'ERR_JWT_EXPIRED',
    },
    {
      name: 'a token without exp',
      headers: async () => bearer(await signToken(rsaKey, { sub: 'user-1' }, { expiresIn: null })),
      reason: /^ERR_JWT_CLAIM_VALIDATION_FAILED .*missing required "exp" claim/,
    },
    {
      name: 'a token not yet valid',
      headers: async () => bearer(await signToken(rsaKey, { sub: 'user-1' }, { notBefore: 120 })),
      reason: /^ERR_JWT_CLAIM_VALIDATION_FAILED .*"nbf"/,
    },
    {
      name: 'a different namespace claim',
      headers: async () => bearer(await signToken(rsaKey, { sub: 'user-1', namespace: 'other' })),
      reason: "namespace claim 'other' does not match 'accelbyte'",
    },
    {
      name: 'a non-string namespace claim',
      headers: async () => bearer(await signToken(rsaKey, { sub: 'user-1', namespace: 7 })),
      reason: "namespace claim 7 does not match 'accelbyte'",
    },
    {
      name: 'a token without sub',
      headers: async () => bearer(await signToken(rsaKey, { namespace: NAMESPACE })),
      reason: "no 'sub' claim",
    },
    {
      name: 'an empty sub',
      headers: async () => bearer(await signToken(rsaKey, { sub: '' })),
      reason: "'sub' claim '' is not a non-empty string",
    },
    {
      name: 'an absurdly long sub',
      headers: async () => bearer(await signToken(rsaKey, { sub: 'x'.repeat(101) })),
      reason: "'sub' claim is 101 characters",
    },
    ...['\u0000', '\u001f', '\u007f', '\u0085'].map((control) => ({
      name: `a sub with U+${control.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`,
      headers: async () => bearer(await signToken(rsaKey, { sub: `user${control}1` })),
      reason: "'sub' claim contains control characters",
    })),
    {
      name: 'an HS256 token',
      headers: async () => {
        const now = Math.floor(Date.now() / 1000);
        const token = await new SignJWT({ sub: 'user-1' })
          .setProtectedHeader({ alg: 'HS256', kid: rsaKey.kid })
          .setExpirationTime(now + 300)
          .sign(new TextEncoder().encode('a-shared-secret-of-sufficient-length'));
        return bearer(token);
      },
      reason: 'ERR_JOSE_ALG_NOT_ALLOWED',
    },
    {
      name: 'an unsigned (alg none) token',
      headers: async () => bearer(new UnsecuredJWT({ sub: 'user-1' }).setExpirationTime('5m').encode()),
      reason: 'ERR_JOSE_ALG_NOT_ALLOWED',
    },
  ];

  for (const { name, headers, reason } of cases) {
    test(name, async () => {
      const { authenticate, reasons } = jwksAuth();
      await expectRejected(authenticate(await headers()), reasons, reason);
    });
  }

  test('a slightly expired token once the clock tolerance is set to 0', async () => {
    const { authenticate, reasons } = jwksAuth({ clockToleranceSeconds: 0 });
    const token = await signToken(rsaKey, { sub: 'user-1' }, { expiresIn: -10 });
    await expectRejected(authenticate(bearer(token)), reasons, 'ERR_JWT_EXPIRED');
  });
});

describe('jwks key set', () => {
  test('is fetched once and then served from the cache', async () => {
    const { authenticate } = jwksAuth();
    const before = server.fetches();
    for (const sub of ['a', 'b', 'c']) {
      expect(await authenticate(bearer(await signToken(rsaKey, { sub })))).toEqual({ userId: sub });
    }
    expect(server.fetches() - before).toBe(1);
  });

  test('is refetched on an unknown kid, so a rotated key verifies', async () => {
    const rotated = await createSigningKey('RS256', 'rsa-2');
    const rotation = startJwksServer([rsaKey]);
    try {
      const log = reasonLog();
      const authenticate = createAuthenticator({
        mode: 'jwks',
        jwksUrl: rotation.url,
        namespace: NAMESPACE,
        jwksCooldownSeconds: 0,
        onReject: log.onReject,
      });
      const oldToken = await signToken(rsaKey, { sub: 'before-rotation' });
      expect(await authenticate(bearer(oldToken))).toEqual({ userId: 'before-rotation' });

      rotation.setKeys([rotated]);
      const newToken = await signToken(rotated, { sub: 'after-rotation' });
      expect(await authenticate(bearer(newToken))).toEqual({ userId: 'after-rotation' });
      expect(rotation.fetches()).toBe(2);

      // The retired key is gone from the set, so tokens it signed stop verifying.
      await expectRejected(authenticate(bearer(oldToken)), log.reasons, 'ERR_JWKS_NO_MATCHING_KEY');
    } finally {
      await rotation.stop();
    }
  });
});

describe('jwks issuer and audience', () => {
  const ISSUER = 'https://idp.example.com';
  const AUDIENCE = 'challenge-service';
  const tokenWith = async (claims: { iss?: string; aud?: string | string[] }) =>
    bearer(await signToken(rsaKey, { sub: 'user-1', namespace: NAMESPACE, ...claims }));

  test('any or no iss and aud pass when neither is configured', async () => {
    const { authenticate, reasons } = jwksAuth();
    for (const claims of [{}, { iss: 'https://elsewhere', aud: 'someone-else' }]) {
      expect(await authenticate(await tokenWith(claims))).toEqual({ userId: 'user-1' });
    }
    expect(reasons).toEqual([]);
  });

  test('the configured iss and aud pass, aud also as one of several', async () => {
    const { authenticate, reasons } = jwksAuth({ issuer: ISSUER, audience: AUDIENCE });
    for (const aud of [AUDIENCE, ['other', AUDIENCE]]) {
      expect(await authenticate(await tokenWith({ iss: ISSUER, aud }))).toEqual({ userId: 'user-1' });
    }
    expect(reasons).toEqual([]);
  });

  const cases: { name: string; claims: { iss?: string; aud?: string }; reason: RegExp }[] = [
    { name: 'a missing iss', claims: { aud: AUDIENCE }, reason: /missing required "iss" claim/ },
    { name: 'a wrong iss', claims: { iss: 'https://evil', aud: AUDIENCE }, reason: /unexpected "iss" claim/ },
    { name: 'a missing aud', claims: { iss: ISSUER }, reason: /missing required "aud" claim/ },
    { name: 'a wrong aud', claims: { iss: ISSUER, aud: 'other' }, reason: /unexpected "aud" claim/ },
  ];
  for (const { name, claims, reason } of cases) {
    test(`rejects ${name} when configured`, async () => {
      const { authenticate, reasons } = jwksAuth({ issuer: ISSUER, audience: AUDIENCE });
      await expectRejected(authenticate(await tokenWith(claims)), reasons, reason);
    });
  }
});

describe('jwks key set unreachable', () => {
  /** A fresh authenticator on `url` that records rejections and key-set failure reports. */
  function authOn(url: string, overrides: Partial<JwksAuthOptions> = {}) {
    const failures: KeySetFailure[] = [];
    const auth = jwksAuth({
      jwksUrl: url,
      onKeySetFailure: (failure) => failures.push(failure),
      ...overrides,
    });
    return { ...auth, failures };
  }

  async function expectUnavailable(attempt: Promise<unknown>): Promise<void> {
    const error = await appErrorOf(attempt);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toBe('The signing keys of the identity provider are unreachable; retry later');
  }

  const outages: {
    name: string;
    url: () => Promise<{ url: string; stop?: () => Promise<void> }>;
    cause: RegExp;
  }[] = [
    { name: 'connection refused', url: async () => ({ url: await closedPortUrl() }), cause: /^ECONNREFUSED/ },
    {
      name: 'a DNS failure',
      url: async () => ({ url: 'http://jwks.invalid/iam/v3/oauth/jwks' }),
      // Without a resolver the lookup may hang instead of failing; then the timeout answers.
      cause: /ENOTFOUND|EAI_AGAIN|DNS|getaddrinfo|ERR_JWKS_TIMEOUT|ConnectionRefused|FailedToOpenSocket/i,
    },
    {
      name: 'a timeout',
      url: async () => startRawServer(() => new Promise<Response>(() => {})),
      cause: /^ERR_JWKS_TIMEOUT/,
    },
    {
      name: 'an error status',
      url: async () => startRawServer(() => new Response('unavailable', { status: 503 })),
      cause: /^ERR_JOSE_GENERIC .*200 OK/,
    },
    {
      name: 'an HTML answer',
      url: async () => startRawServer(() => new Response('<html>login</html>', { status: 200 })),
      cause: /^ERR_JOSE_GENERIC .*as JSON/,
    },
    {
      name: 'JSON that is not a key set',
      url: async () => startRawServer(() => Response.json({ status: 'ok' })),
      cause: /^ERR_JWKS_INVALID/,
    },
  ];

  for (const { name, url, cause } of outages) {
    test(`${name} answers UNAVAILABLE, not a 401, and is reported with the URL and cause`, async () => {
      const target = await url();
      try {
        const { authenticate, reasons, failures } = authOn(target.url, { jwksTimeoutMs: 300 });
        await expectUnavailable(authenticate(bearer(await signToken(rsaKey, { sub: 'user-1' }))));
        expect(reasons).toEqual([]);
        expect(failures).toHaveLength(1);
        expect(failures[0]).toMatchObject({ url: target.url, suppressed: 0 });
        expect(failures[0]?.cause).toMatch(cause);
      } finally {
        await target.stop?.();
      }
    });
  }

  test('repeated failures are reported once, not once per request', async () => {
    const { authenticate, failures } = authOn(await closedPortUrl());
    for (const sub of ['a', 'b', 'c']) {
      await expectUnavailable(authenticate(bearer(await signToken(rsaKey, { sub }))));
    }
    expect(failures).toHaveLength(1);
  });

  test('a token that fails its own checks stays a 401 while the key set cannot be fetched', async () => {
    const { authenticate, reasons, failures } = authOn(await closedPortUrl());
    const hs256 = await new SignJWT({ sub: 'user-1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a-shared-secret-of-sufficient-length'));
    await expectRejected(authenticate(bearer(hs256)), reasons, 'ERR_JOSE_ALG_NOT_ALLOWED');
    expect(failures).toEqual([]);
  });

  test('a cached key keeps verifying; an uncached kid answers UNAVAILABLE', async () => {
    const idp = startJwksServer([rsaKey]);
    const { authenticate, failures } = authOn(idp.url, { jwksCooldownSeconds: 0 });
    expect(await authenticate(bearer(await signToken(rsaKey, { sub: 'before' })))).toEqual({
      userId: 'before',
    });
    await idp.stop();

    expect(await authenticate(bearer(await signToken(rsaKey, { sub: 'during' })))).toEqual({
      userId: 'during',
    });
    await expectUnavailable(authenticate(bearer(await signToken(ecKey, { sub: 'new-kid' }))));
    expect(failures).toHaveLength(1);
  });

  test('a cached key keeps verifying once the cache is due for a refresh that fails', async () => {
    const idp = startJwksServer([rsaKey]);
    try {
      const { authenticate, failures } = authOn(idp.url);
      expect(await authenticate(bearer(await signToken(rsaKey, { sub: 'before' })))).toEqual({
        userId: 'before',
      });
      idp.setStatus(503);
      // Past the 10-minute cache age: a refresh starts, and fails, in the background.
      setSystemTime(new Date(Date.now() + 11 * 60_000));
      const fetchesBefore = idp.fetches();
      for (const sub of ['later-1', 'later-2', 'later-3']) {
        expect(await authenticate(bearer(await signToken(rsaKey, { sub })))).toEqual({ userId: sub });
      }
      await Bun.sleep(50);
      // One refresh for the three requests; the next waits out the cooldown.
      expect(idp.fetches()).toBe(fetchesBefore + 1);
      expect(failures).toHaveLength(1);
    } finally {
      setSystemTime();
      await idp.stop();
    }
  });

  test('a refresh that hangs does not hold requests whose key is cached', async () => {
    let hang = false;
    let fetches = 0;
    const idp = startRawServer(async () => {
      fetches += 1;
      if (hang) await new Promise(() => {});
      return Response.json({ keys: [rsaKey.publicJwk] });
    });
    try {
      const { authenticate } = authOn(idp.url, { jwksTimeoutMs: 5_000 });
      expect(await authenticate(bearer(await signToken(rsaKey, { sub: 'before' })))).toEqual({
        userId: 'before',
      });
      hang = true;
      setSystemTime(new Date(Date.now() + 11 * 60_000));
      const started = performance.now();
      for (const sub of ['a', 'b', 'c', 'd']) {
        expect(await authenticate(bearer(await signToken(rsaKey, { sub })))).toEqual({ userId: sub });
      }
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(fetches).toBe(2);
    } finally {
      setSystemTime();
      await idp.stop();
    }
  });

  test('while no key set was ever fetched, failures are fetched again a moment later, not per request', async () => {
    const idp = startJwksServer([rsaKey]);
    try {
      idp.setStatus(503);
      const { authenticate } = authOn(idp.url);
      const token = await signToken(rsaKey, { sub: 'user-1' });
      for (let i = 0; i < 5; i++) await expectUnavailable(authenticate(bearer(token)));
      expect(idp.fetches()).toBe(1);
      idp.setStatus(200);
      setSystemTime(new Date(Date.now() + 1_000));
      expect(await authenticate(bearer(token))).toEqual({ userId: 'user-1' });
      expect(idp.fetches()).toBe(2);
    } finally {
      setSystemTime();
      await idp.stop();
    }
  });
});

describe('jwks options', () => {
  test('an invalid URL fails at construction', () => {
    expect(() => createAuthenticator({ mode: 'jwks', jwksUrl: 'not a url', namespace: NAMESPACE })).toThrow();
  });

  test('a non-positive fetch timeout fails at construction', () => {
    for (const jwksTimeoutMs of [0, -1, 1.5]) {
      expect(() =>
        createAuthenticator({ mode: 'jwks', jwksUrl: server.url, namespace: NAMESPACE, jwksTimeoutMs }),
      ).toThrow(RangeError);
    }
  });

  test('a negative clock tolerance fails at construction', () => {
    expect(() =>
      createAuthenticator({
        mode: 'jwks',
        jwksUrl: server.url,
        namespace: NAMESPACE,
        clockToleranceSeconds: -1,
      }),
    ).toThrow(RangeError);
  });
});
