import { describe, expect, test } from 'bun:test';
import type { JWTPayload } from 'jose';
import { type AuthOptions, createAuthenticator } from '../../src/auth/index.ts';
import { parseBearerToken, userIdFromClaims } from '../../src/auth/jwt-authenticator.ts';

describe('parseBearerToken', () => {
  const cases: { header: string | null; result: ReturnType<typeof parseBearerToken> }[] = [
    { header: 'Bearer abc.def.ghi', result: { ok: true, value: 'abc.def.ghi' } },
    { header: 'BEARER tok', result: { ok: true, value: 'tok' } },
    { header: 'bearer   tok', result: { ok: true, value: 'tok' } },
    { header: null, result: { ok: false, reason: 'missing Authorization header' } },
    { header: '   ', result: { ok: false, reason: 'missing Authorization header' } },
    { header: 'Bearer', result: { ok: false, reason: 'empty bearer token' } },
    { header: 'Token tok', result: { ok: false, reason: "Authorization scheme 'Token' is not Bearer" } },
    { header: 'Bearertok', result: { ok: false, reason: "Authorization scheme 'Bearertok' is not Bearer" } },
    {
      header: 'Bearer a b',
      result: { ok: false, reason: 'Authorization header has more than one token after Bearer' },
    },
  ];
  for (const { header, result } of cases) {
    test(JSON.stringify(header), () => {
      expect(parseBearerToken(header)).toEqual(result);
    });
  }
});

describe('userIdFromClaims', () => {
  test('returns sub when the namespace matches or is absent', () => {
    expect(userIdFromClaims({ sub: 'u1', namespace: 'ns' }, 'ns')).toEqual({ ok: true, value: 'u1' });
    expect(userIdFromClaims({ sub: 'u1' }, 'ns')).toEqual({ ok: true, value: 'u1' });
  });

  test('rejects a namespace claim that differs, even in case or when empty', () => {
    for (const namespace of ['other', 'NS', '', null]) {
      expect(userIdFromClaims({ sub: 'u1', namespace }, 'ns')).toMatchObject({ ok: false });
    }
  });

  test('rejects a sub with a C0 or C1 control character or DEL', () => {
    for (const control of ['\u0000', '\n', '\u001f', '\u007f', '\u0080', '\u009f']) {
      expect(userIdFromClaims({ sub: `u${control}1` }, 'ns')).toEqual({
        ok: false,
        reason: "'sub' claim contains control characters",
      });
    }
    expect(userIdFromClaims({ sub: 'u\u00a01' }, 'ns')).toEqual({ ok: true, value: 'u\u00a01' });
  });

  test('rejects a non-string or blank sub', () => {
    expect(userIdFromClaims({ sub: '  ' }, 'ns')).toMatchObject({ ok: false });
    const numericSub: JWTPayload = JSON.parse('{"sub":42}');
    expect(userIdFromClaims(numericSub, 'ns')).toMatchObject({ ok: false });
  });
});

describe('createAuthenticator', () => {
  test('names an unknown mode without echoing the options', () => {
    const options = { mode: 'ldap', secret: 'do-not-print' } as unknown as AuthOptions;
    expect(() => createAuthenticator(options)).toThrow('Unknown auth mode "ldap"');
    expect(() => createAuthenticator(options)).not.toThrow(/do-not-print/);
  });
});
