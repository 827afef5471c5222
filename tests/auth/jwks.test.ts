import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { createAuthenticator, type JwksAuthOptions } from '../../src/auth/index.ts';
import { expectRejected, reasonLog } from './expect-rejected.ts';
import {
  bearer,
  createSigningKey,
  type JwksServer,
  type SigningKey,
  signToken,
  startJwksServer,
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

  test('an unreachable JWKS server rejects the request instead of crashing', async () => {
    const down = startJwksServer([rsaKey]);
    const url = down.url;
    await down.stop();
    const { authenticate, reasons } = jwksAuth({ jwksUrl: url });
    await expectRejected(
      authenticate(bearer(await signToken(rsaKey, { sub: 'user-1' }))),
      reasons,
      /^JWKS request to http:\/\/127\.0\.0\.1:\d+\/iam\/v3\/oauth\/jwks failed: ECONNREFUSED/,
    );
  });

  test('an error status from the JWKS server rejects, and the next request recovers', async () => {
    const flaky = startJwksServer([rsaKey]);
    try {
      flaky.setStatus(503);
      const log = reasonLog();
      const authenticate = createAuthenticator({
        mode: 'jwks',
        jwksUrl: flaky.url,
        namespace: NAMESPACE,
        onReject: log.onReject,
      });
      const token = await signToken(rsaKey, { sub: 'user-1' });
      await expectRejected(authenticate(bearer(token)), log.reasons, /^ERR_JOSE_GENERIC .*200 OK/);

      flaky.setStatus(200);
      expect(await authenticate(bearer(token))).toEqual({ userId: 'user-1' });
    } finally {
      await flaky.stop();
    }
  });
});

describe('jwks options', () => {
  test('an invalid URL fails at construction', () => {
    expect(() => createAuthenticator({ mode: 'jwks', jwksUrl: 'not a url', namespace: NAMESPACE })).toThrow();
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
