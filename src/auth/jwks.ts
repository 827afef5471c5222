import { createRemoteJWKSet, jwtVerify } from 'jose';
import { clockTolerance, createJwtAuthenticator } from './jwt-authenticator.ts';
import type { Authenticate, JwksAuthOptions } from './types.ts';
import { describeUnknown, isJoseError } from './verify-error.ts';

/** AGS IAM signs access tokens with RS256; ES256 covers other IdPs. HMAC and `none` are never accepted here. */
const ALGORITHMS = ['RS256', 'ES256'];
const DEFAULT_COOLDOWN_SECONDS = 30;
/** A slow IdP must not hold request handlers: fail the request and let the next one retry the fetch. */
const FETCH_TIMEOUT_MS = 5_000;
/** Keys are refreshed at least this often, like the AGS SDK's default REFRESH_INTERVAL of 600 s. */
const CACHE_MAX_AGE_MS = 600_000;

/**
 * Verifies tokens against a remote JWKS. jose fetches the set lazily, shares one in-flight fetch
 * between concurrent requests, and refetches on an unknown `kid` once the cooldown has passed, which
 * is how rotated keys are picked up.
 */
export function createJwksAuthenticator(options: JwksAuthOptions): Authenticate {
  const url = new URL(options.jwksUrl);
  const cooldownSeconds = options.jwksCooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS;
  if (!Number.isFinite(cooldownSeconds) || cooldownSeconds < 0) {
    throw new RangeError(`jwksCooldownSeconds must be a non-negative number, got ${cooldownSeconds}`);
  }
  const keys = createRemoteJWKSet(url, {
    timeoutDuration: FETCH_TIMEOUT_MS,
    cooldownDuration: cooldownSeconds * 1000,
    cacheMaxAge: CACHE_MAX_AGE_MS,
  });
  const verifyOptions = {
    algorithms: ALGORITHMS,
    clockTolerance: clockTolerance(options.clockToleranceSeconds),
  };

  return createJwtAuthenticator({
    namespace: options.namespace,
    onReject: options.onReject,
    verify: async (token) => {
      try {
        return (await jwtVerify(token, keys, verifyOptions)).payload;
      } catch (error) {
        if (isJoseError(error)) throw error;
        // Anything jose did not classify comes from fetching the key set (connection refused, DNS, TLS).
        throw new Error(`JWKS request to ${url.href} failed: ${describeUnknown(error)}`, { cause: error });
      }
    },
  });
}
