import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
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
/** While no key set was ever fetched, a failed fetch holds the next back this long at most. */
const NO_KEYS_BACKOFF_MS = 250;
const KEYS_UNREACHABLE = 'The signing keys of the identity provider are unreachable; retry later';

/**
 * What jose throws when the key set could not be fetched: a timeout, a non-200 or non-JSON answer
 * (ERR_JOSE_GENERIC) or JSON that is not a key set. Errors from outside jose are the network's
 * (connection refused, DNS, TLS) or a key the runtime cannot import; neither is the token's fault.
 */
const FETCH_FAILURE_CODES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

const isKeySetFailure = (error: unknown): boolean =>
  !isJoseError(error) || FETCH_FAILURE_CODES.has(error.code);

const isNoMatchingKey = (error: unknown): boolean =>
  isJoseError(error) && error.code === 'ERR_JWKS_NO_MATCHING_KEY';

/**
 * Verifies tokens against a remote JWKS, fetched with jose (one fetch in flight, shared by
 * concurrent requests) but looked up here, so that a slow or failing IdP never holds a request
 * whose key is known:
 * - keys fetched once keep verifying; past `CACHE_MAX_AGE_MS` a refresh starts in the background
 *   and the request goes on with the keys it has (as the AGS SDK refreshes on a timer);
 * - a `kid` the set does not have waits for a fetch, at most once per cooldown (how rotated keys
 *   are picked up), and a random `kid` per request cannot make the service hammer the IdP;
 * - every fetch that fails holds the next one back for the cooldown (a few seconds while no set was
 *   ever fetched), and is reported through a throttle.
 *
 * A token whose key was never fetched cannot be judged while the IdP is unreachable, so it is
 * answered UNAVAILABLE rather than 401: the token may be perfectly good, and the client should
 * retry, not log in again.
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
  const cooldownMs = cooldownSeconds * 1000;
  const remote = createRemoteJWKSet(url, { timeoutDuration: timeoutMs });
  const throttle = createReportThrottle(FAILURE_REPORT_INTERVAL_MS);
  let local: { readonly keys: JSONWebKeySet; readonly getKey: JWTVerifyGetKey } | undefined;
  // Times on the wall clock (`Date.now()`), as jose keeps its own.
  let fetchedAt = 0;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let lastFailure: unknown;

  const report = (error: unknown) => {
    const cause = describeVerifyError(error);
    throttle((suppressed) => options.onKeySetFailure?.({ url: url.href, cause, suppressed }));
  };
  /** Fetches the set (or joins the fetch in flight); rejects with the fetch's error. */
  const refresh = async (): Promise<void> => {
    attemptedAt = Date.now();
    try {
      await remote.reload();
      const keys = remote.jwks();
      if (keys !== undefined && keys !== local?.keys) local = { keys, getKey: createLocalJWKSet(keys) };
      fetchedAt = Date.now();
      lastFailure = undefined;
    } catch (error) {
      attemptedAt = Date.now();
      lastFailure = error;
      report(error);
      throw error;
    }
  };
  /** Whether a fetch may start now: not within the cooldown of the last attempt. */
  const mayFetch = () => {
    const backoffMs =
      lastFailure !== undefined && !local ? Math.min(cooldownMs, NO_KEYS_BACKOFF_MS) : cooldownMs;
    return Date.now() - attemptedAt >= backoffMs;
  };
  const unreachable = (error: unknown) => new AppError('UNAVAILABLE', KEYS_UNREACHABLE, { cause: error });

  const keyFor: JWTVerifyGetKey = async (header, token) => {
    if (!local) {
      if (!mayFetch()) throw unreachable(lastFailure);
      await refresh().catch((error: unknown) => {
        throw isKeySetFailure(error) ? unreachable(error) : error;
      });
    } else if (Date.now() - fetchedAt >= CACHE_MAX_AGE_MS && !remote.reloading && mayFetch()) {
      void refresh().catch(() => {});
    }
    const known = local;
    if (!known) throw unreachable(lastFailure);
    try {
      return await known.getKey(header, token);
    } catch (error) {
      // A kid this set does not have: perhaps a rotated key, fetched at most once per cooldown.
      if (!isNoMatchingKey(error) || !mayFetch()) throw error;
      await refresh().catch((failure: unknown) => {
        throw isKeySetFailure(failure) ? unreachable(failure) : failure;
      });
      return await (local ?? known).getKey(header, token);
    }
  };
  const verifyOptions = { algorithms: ALGORITHMS, ...claimVerification(options) };

  return createJwtAuthenticator({
    namespace: options.namespace,
    onReject: options.onReject,
    verify: async (token) => (await jwtVerify(token, keyFor, verifyOptions)).payload,
  });
}
