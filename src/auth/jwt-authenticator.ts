/**
 * The part shared by the jwks and dev modes: Bearer extraction, signature and time checks (delegated
 * to a jose `verify`), then the claim rules jose does not know about (`sub`, `namespace`), and the
 * `permissions` claim that admin routes check.
 */
import type { JWTClaimVerificationOptions, JWTPayload } from 'jose';
import { isAppError, unauthenticated } from '../domain/errors.ts';
import { idProblem, MAX_USER_ID_LENGTH } from '../domain/ids.ts';
import { permissionsFromClaim } from './admin-permission.ts';
import type { Authenticate, RejectListener } from './types.ts';
import { describeVerifyError } from './verify-error.ts';

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

export interface JwtAuthenticatorOptions {
  /**
   * Resolves with the payload of a token whose signature, algorithm and registered claims are valid.
   * Rejects with an AppError when the token cannot be checked at all; that error reaches the caller as is.
   */
  readonly verify: (token: string) => Promise<JWTPayload>;
  readonly namespace: string;
  readonly onReject?: RejectListener | undefined;
}

type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export function createJwtAuthenticator(options: JwtAuthenticatorOptions): Authenticate {
  const { verify, namespace, onReject } = options;
  const reject = (reason: string): never => {
    onReject?.(reason);
    throw unauthenticated();
  };

  return async (headers) => {
    const token = parseBearerToken(headers.get('authorization'));
    if (!token.ok) return reject(token.reason);
    let payload: JWTPayload;
    try {
      payload = await verify(token.value);
    } catch (error) {
      if (isAppError(error)) throw error;
      return reject(describeVerifyError(error));
    }
    const userId = userIdFromClaims(payload, namespace);
    if (!userId.ok) return reject(userId.reason);
    const permissions = permissionsFromClaim(payload['permissions']);
    return permissions === undefined ? { userId: userId.value } : { userId: userId.value, permissions };
  };
}

/** `Bearer <token>`, scheme case-insensitive (RFC 7235), exactly one token after it. */
export function parseBearerToken(header: string | null): Checked<string> {
  if (header === null || header.trim() === '') return { ok: false, reason: 'missing Authorization header' };
  const [scheme = '', ...rest] = header.trim().split(/ +/);
  if (scheme.toLowerCase() !== 'bearer') {
    return { ok: false, reason: `Authorization scheme '${scheme.slice(0, 20)}' is not Bearer` };
  }
  const [token, ...extra] = rest;
  if (token === undefined) return { ok: false, reason: 'empty bearer token' };
  if (extra.length > 0) {
    return { ok: false, reason: 'Authorization header has more than one token after Bearer' };
  }
  return { ok: true, value: token };
}

export function userIdFromClaims(payload: JWTPayload, namespace: string): Checked<string> {
  const { sub } = payload;
  if (sub === undefined) return { ok: false, reason: "token has no 'sub' claim" };
  if (typeof sub !== 'string' || sub.trim() === '') {
    return { ok: false, reason: `'sub' claim ${quote(sub)} is not a non-empty string` };
  }
  // The user id becomes a primary-key column and a log field; PostgreSQL text cannot hold U+0000.
  const problem = idProblem(sub, MAX_USER_ID_LENGTH);
  if (problem !== undefined) return { ok: false, reason: `'sub' claim ${problem}` };
  const claimed = payload['namespace'];
  if (claimed !== undefined && claimed !== namespace) {
    return { ok: false, reason: `namespace claim ${quote(claimed)} does not match '${namespace}'` };
  }
  return { ok: true, value: sub };
}

export interface ClaimRules {
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  readonly clockToleranceSeconds?: number | undefined;
}

/**
 * The jose claim checks both token modes share. `exp` is required: a token without it would be
 * valid forever. `iss` and `aud` are checked only when configured.
 */
export function claimVerification(rules: ClaimRules): JWTClaimVerificationOptions {
  return {
    requiredClaims: ['exp'],
    clockTolerance: clockTolerance(rules.clockToleranceSeconds),
    ...(rules.issuer === undefined ? {} : { issuer: rules.issuer }),
    ...(rules.audience === undefined ? {} : { audience: rules.audience }),
  };
}

/** Fails fast on a misconfigured tolerance instead of letting jose reject every token at request time. */
function clockTolerance(seconds: number | undefined): number {
  const value = seconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`clockToleranceSeconds must be a non-negative number of seconds, got ${value}`);
  }
  return value;
}

const quote = (value: unknown): string =>
  typeof value === 'string' ? `'${value.slice(0, 100)}'` : String(JSON.stringify(value)).slice(0, 100);
