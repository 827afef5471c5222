import { describe, expect, test } from 'bun:test';
import { decodeJwt, type JWTPayload, SignJWT } from 'jose';
import {
  createAuthenticator,
  DEV_TOKEN_ISSUER,
  type DevAuthOptions,
  generateDevSecret,
  mintDevToken,
} from '../../src/auth/index.ts';
import { expectRejected, reasonLog } from './expect-rejected.ts';
import { bearer, createSigningKey, signToken } from './jwks-server.ts';

const NAMESPACE = 'accelbyte';
const SECRET = generateDevSecret();

function devAuth(overrides: Partial<DevAuthOptions> = {}) {
  const log = reasonLog();
  const authenticate = createAuthenticator({
    mode: 'dev',
    secret: SECRET,
    namespace: NAMESPACE,
    onReject: log.onReject,
    ...overrides,
  });
  return { authenticate, reasons: log.reasons };
}

const hs256 = (claims: JWTPayload) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
const signed = (jwt: SignJWT) => jwt.sign(new TextEncoder().encode(SECRET));

describe('dev mode', () => {
  test('accepts a minted token and returns its user', async () => {
    const { authenticate, reasons } = devAuth();
    const token = await mintDevToken({ secret: SECRET, userId: 'player-1', namespace: NAMESPACE });
    expect(await authenticate(bearer(token))).toEqual({ userId: 'player-1' });
    expect(reasons).toEqual([]);
  });

  test('minted tokens carry sub, namespace, iss, iat and a 24 h exp by default', async () => {
    const before = Math.floor(Date.now() / 1000);
    const claims = decodeJwt(
      await mintDevToken({ secret: SECRET, userId: 'player-1', namespace: NAMESPACE }),
    );
    expect(claims).toMatchObject({ sub: 'player-1', namespace: NAMESPACE, iss: DEV_TOKEN_ISSUER });
    const { iat = 0, exp = 0 } = claims;
    expect(iat).toBeGreaterThanOrEqual(before);
    expect(exp - iat).toBe(24 * 60 * 60);
  });

  test('a token minted without a namespace has no namespace claim and is accepted', async () => {
    const token = await mintDevToken({ secret: SECRET, userId: 'player-2', expiresInSeconds: 60 });
    expect(decodeJwt(token)).not.toHaveProperty('namespace');
    expect(await devAuth().authenticate(bearer(token))).toEqual({ userId: 'player-2' });
  });

  const rejections: { name: string; token: () => Promise<string>; reason: string }[] = [
    {
      name: 'a token minted with another secret',
      token: () => mintDevToken({ secret: generateDevSecret(), userId: 'player-1' }),
      reason: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    },
    {
      name: 'an expired token',
      token: () => {
        const now = Math.floor(Date.now() / 1000);
        return new SignJWT({ sub: 'player-1' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuedAt(now - 3600)
          .setExpirationTime(now - 120)
          .sign(new TextEncoder().encode(SECRET));
      },
      reason: 'ERR_JWT_EXPIRED',
    },
    {
      name: 'a token without exp',
      token: () => signed(hs256({ sub: 'player-1' }).setIssuedAt()),
      reason: 'missing required "exp" claim',
    },
    {
      name: 'a sub with U+0000',
      token: () => signed(hs256({ sub: 'player\u00001' }).setExpirationTime('5m')),
      reason: "'sub' claim contains control characters",
    },
    {
      name: 'a token for another namespace',
      token: () => mintDevToken({ secret: SECRET, userId: 'player-1', namespace: 'other' }),
      reason: "namespace claim 'other' does not match 'accelbyte'",
    },
    {
      name: 'an RS256 token',
      token: async () => signToken(await createSigningKey('RS256', 'k'), { sub: 'player-1' }),
      reason: 'ERR_JOSE_ALG_NOT_ALLOWED',
    },
  ];

  for (const { name, token, reason } of rejections) {
    test(`rejects ${name}`, async () => {
      const { authenticate, reasons } = devAuth();
      await expectRejected(authenticate(bearer(await token())), reasons, reason);
    });
  }

  describe('with JWT_ISSUER and JWT_AUDIENCE configured', () => {
    const rules = { issuer: 'https://idp.example.com', audience: 'challenge-service' };
    const mint = (claims: { issuer?: string; audience?: string }) =>
      mintDevToken({ secret: SECRET, userId: 'player-1', namespace: NAMESPACE, ...claims });

    test('accepts a token minted with both', async () => {
      const { authenticate, reasons } = devAuth(rules);
      expect(await authenticate(bearer(await mint(rules)))).toEqual({ userId: 'player-1' });
      expect(reasons).toEqual([]);
    });

    const cases: { name: string; claims: { issuer?: string; audience?: string }; reason: string }[] = [
      {
        name: 'the default dev issuer',
        claims: { audience: rules.audience },
        reason: 'unexpected "iss" claim',
      },
      { name: 'no audience', claims: { issuer: rules.issuer }, reason: 'missing required "aud" claim' },
      { name: 'another audience', claims: { ...rules, audience: 'other' }, reason: 'unexpected "aud" claim' },
    ];
    for (const { name, claims, reason } of cases) {
      test(`rejects a token with ${name}`, async () => {
        const { authenticate, reasons } = devAuth(rules);
        await expectRejected(authenticate(bearer(await mint(claims))), reasons, reason);
      });
    }

    test('neither is checked when not configured', async () => {
      const token = await mint({ issuer: 'anyone', audience: 'anything' });
      expect(await devAuth().authenticate(bearer(token))).toEqual({ userId: 'player-1' });
    });
  });

  test('refuses an empty secret at construction', () => {
    expect(() => createAuthenticator({ mode: 'dev', secret: '', namespace: NAMESPACE })).toThrow(RangeError);
  });
});

describe('mintDevToken', () => {
  const invalid: { name: string; userId: string; expiresInSeconds?: number }[] = [
    { name: 'an empty user id', userId: ' ' },
    { name: 'a user id over 100 characters', userId: 'x'.repeat(101) },
    { name: 'a user id with a control character', userId: 'player\u00001' },
    { name: 'a zero lifetime', userId: 'u', expiresInSeconds: 0 },
    { name: 'a fractional lifetime', userId: 'u', expiresInSeconds: 1.5 },
  ];
  for (const { name, ...options } of invalid) {
    test(`refuses ${name}`, async () => {
      await expect(mintDevToken({ secret: SECRET, ...options })).rejects.toThrow(RangeError);
    });
  }
});

describe('generateDevSecret', () => {
  test('is URL-safe, carries 32 random bytes and differs per call', () => {
    const secrets = new Set(Array.from({ length: 20 }, generateDevSecret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    }
  });
});
