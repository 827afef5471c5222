/**
 * Dev mode: HS256 tokens signed with a shared secret, so `bun start` works without an IdP. The same
 * module mints them (CLI) and verifies them (server), which keeps the two in agreement.
 */
import { base64url, jwtVerify, SignJWT } from 'jose';
import { idProblem, MAX_USER_ID_LENGTH } from '../domain/ids.ts';
import { type Permission, permissionsClaim } from './admin-permission.ts';
import { claimVerification, createJwtAuthenticator } from './jwt-authenticator.ts';
import type { Authenticate, DevAuthOptions } from './types.ts';

export const DEV_TOKEN_ISSUER = 'challenge-service-dev';
const DEFAULT_EXPIRES_IN_SECONDS = 24 * 60 * 60;
const SECRET_BYTES = 32;

export function createDevAuthenticator(options: DevAuthOptions): Authenticate {
  const key = secretKey(options.secret);
  const verifyOptions = { algorithms: ['HS256'], ...claimVerification(options) };
  return createJwtAuthenticator({
    namespace: options.namespace,
    onReject: options.onReject,
    verify: async (token) => (await jwtVerify(token, key, verifyOptions)).payload,
  });
}

export interface MintDevTokenOptions {
  readonly secret: string;
  readonly userId: string;
  readonly namespace?: string;
  /** `iss` of the token; default DEV_TOKEN_ISSUER. Must match JWT_ISSUER when that is set. */
  readonly issuer?: string;
  /** `aud` of the token, none by default. Must match JWT_AUDIENCE when that is set. */
  readonly audience?: string;
  /** Lifetime from now, in seconds; a positive integer. Default 24 h. */
  readonly expiresInSeconds?: number;
  /** A `permissions` claim as AGS IAM writes it, e.g. `adminPermissions(namespace)`; none by default. */
  readonly permissions?: readonly Permission[];
}

/** A token that dev mode with the same secret (and namespace, if given) accepts for `userId`. */
export async function mintDevToken(options: MintDevTokenOptions): Promise<string> {
  const {
    userId,
    namespace,
    issuer = DEV_TOKEN_ISSUER,
    audience,
    expiresInSeconds = DEFAULT_EXPIRES_IN_SECONDS,
  } = options;
  if (userId.trim() === '' || idProblem(userId, MAX_USER_ID_LENGTH) !== undefined) {
    throw new RangeError(
      `userId must be 1-${MAX_USER_ID_LENGTH} printable characters, got ${JSON.stringify(userId.slice(0, 120))}`,
    );
  }
  if (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds <= 0) {
    throw new RangeError(`expiresInSeconds must be a positive integer, got ${expiresInSeconds}`);
  }
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    ...(namespace === undefined ? {} : { namespace }),
    ...(options.permissions === undefined ? {} : { permissions: permissionsClaim(options.permissions) }),
  };
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds);
  if (audience !== undefined) jwt.setAudience(audience);
  return jwt.sign(secretKey(options.secret));
}

/** 32 random bytes, base64url-encoded (43 characters): safe in env files and shell commands. */
export function generateDevSecret(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

function secretKey(secret: string): Uint8Array {
  // An empty HMAC key would make every token forgeable; refuse it at startup rather than per request.
  if (secret === '') throw new RangeError('The dev JWT secret must not be empty (set DEV_JWT_SECRET)');
  return new TextEncoder().encode(secret);
}
