/**
 * Dev mode: HS256 tokens signed with a shared secret, so `bun start` works without an IdP. The same
 * module mints them (CLI) and verifies them (server), which keeps the two in agreement.
 */
import { base64url, jwtVerify, SignJWT } from 'jose';
import { clockTolerance, createJwtAuthenticator } from './jwt-authenticator.ts';
import { type Authenticate, type DevAuthOptions, MAX_USER_ID_LENGTH } from './types.ts';

export const DEV_TOKEN_ISSUER = 'challenge-service-dev';
const DEFAULT_EXPIRES_IN_SECONDS = 24 * 60 * 60;
const SECRET_BYTES = 32;

export function createDevAuthenticator(options: DevAuthOptions): Authenticate {
  const key = secretKey(options.secret);
  const verifyOptions = {
    algorithms: ['HS256'],
    clockTolerance: clockTolerance(options.clockToleranceSeconds),
  };
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
  /** Lifetime from now, in seconds; a positive integer. Default 24 h. */
  readonly expiresInSeconds?: number;
}

/** A token that dev mode with the same secret (and namespace, if given) accepts for `userId`. */
export async function mintDevToken(options: MintDevTokenOptions): Promise<string> {
  const { userId, namespace, expiresInSeconds = DEFAULT_EXPIRES_IN_SECONDS } = options;
  if (userId.trim() === '' || userId.length > MAX_USER_ID_LENGTH) {
    throw new RangeError(`userId must be 1-${MAX_USER_ID_LENGTH} characters, got ${JSON.stringify(userId)}`);
  }
  if (!Number.isSafeInteger(expiresInSeconds) || expiresInSeconds <= 0) {
    throw new RangeError(`expiresInSeconds must be a positive integer, got ${expiresInSeconds}`);
  }
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(namespace === undefined ? {} : { namespace })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(DEV_TOKEN_ISSUER)
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInSeconds)
    .sign(secretKey(options.secret));
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
