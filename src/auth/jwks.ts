import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { AppError } from '../domain/errors.ts';
import { claimVerification, createJwtAuthenticator } from './jwt-authenticator.ts';
import { createReportThrottle } from './report-throttle.ts';
import type { Authenticate, JwksAuthOptions } from './types.ts';
import { describeVerifyError, isJoseError } from './verify-error.ts';

/** AGS IAM signs access tokens with RS256; ES256 covers other IdPs. HMAC and `none` are never accepted here. */
const ALGORITHMS = ['RS256', 'ES256'];
const DEFAULT_COOLDOWN_SECONDS = 30;
/** A slow IdP must not hold request handlers: fail the request and let the next one retry the fetch. */
const DEFAULT_FETCH_TIMEOUT_MS = 5_000;
/** Keys are refreshed at least this often, like the AGS SDK's default REFRESH_INTERVAL of 600 s. */
const CACHE_MAX_AGE_MS = 600_000;
const FAILURE_REPORT_INTERVAL_MS = 60_000;
const KEYS_UNREACHABLE = 'The signing keys of the identity provider are unreachable; retry later';

/**
 * What jose throws when the key set could not be fetched: a timeout, a non-200 or non-JSON answer
 * (ERR_JOSE_GENERIC) or JSON that is not a key set. Errors from outside jose are the network's
 * (connection refused, DNS, TLS) or a key the runtime cannot import; neither is the token's fault.
 */
const FETCH_FAILURE_CODES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

const isKeySetFailure = (error: unknown): boolean =>
  !isJoseError(error) || FETCH_FAILURE_CODES.has(error.code);

/**
 * Verifies tokens against a remote JWKS. jose fetches the set lazily, shares one in-flight fetch
 * between concurrent requests, and refetches on an unknown `kid` once the cooldown has passed, which
 * is how rotated keys are picked up.
 *
 * When a fetch fails, a key fetched earlier still verifies (as the AGS SDK keeps its cached keys);
 * a token whose key was never fetched cannot be judged, so the request is answered UNAVAILABLE
 * rather than 401: the token may be perfectly good, and the client should retry, not log in again.
 */
export function createJwksAuthenticator(options: JwksAuthOptions): Authenticate {
  const url = new URL(options.jwksUrl);
  const cooldownSeconds = options.jwksCooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS;
  if (!Number.isFinite(cooldownSeconds) || cooldownSeconds < 0) {
    throw new RangeError(`jwksCooldownSeconds must be a non-negative number, got ${cooldownSeconds}`);
  }
  const timeoutMs = options.jwksTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`jwksTimeoutMs must be a positive integer, got ${timeoutMs}`);
  }
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: timeoutMs,
    cooldownDuration: cooldownSeconds * 1000,
    cacheMaxAge: CACHE_MAX_AGE_MS,
  });
  const throttle = createReportThrottle(FAILURE_REPORT_INTERVAL_MS);

  const keyFor: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (!isKeySetFailure(error)) throw error;
      // jose keeps the last set it fetched; after a failed refresh it is still the IdP's latest word.
      const previous = remote.jwks();
      if (previous !== undefined) {
        const key = await createLocalJWKSet(previous)(header, token).catch(() => undefined);
        if (key !== undefined) return key;
      }
      const cause = describeVerifyError(error);
      throttle((suppressed) => options.onKeySetFailure?.({ url: url.href, cause, suppressed }));
      throw new AppError('UNAVAILABLE', KEYS_UNREACHABLE, { cause: error });
    }
  };
  const verifyOptions = { algorithms: ALGORITHMS, ...claimVerification(options) };

  return createJwtAuthenticator({
    namespace: options.namespace,
    onReject: options.onReject,
    verify: async (token) => (await jwtVerify(token, keyFor, verifyOptions)).payload,
  });
}
