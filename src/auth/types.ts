/** The contract between the HTTP layer and the authentication modes. */
import type { Permission } from './admin-permission.ts';

export type AuthMode = 'jwks' | 'dev' | 'mock';

export interface AuthenticatedUser {
  readonly userId: string;
  /**
   * What the token's `permissions` claim grants (auth/admin-permission.ts); absent when the token
   * has no such claim, and always in mock mode. Player routes never look at it.
   */
  readonly permissions?: readonly Permission[];
}

/**
 * Throws AppError('UNAUTHENTICATED') when the request carries no acceptable credential, with a
 * message that never names the specific reason, and AppError('UNAVAILABLE') when the credential
 * cannot be checked right now (the key set is unreachable), so the caller should retry.
 */
export type Authenticate = (headers: Headers) => Promise<AuthenticatedUser>;

/** Receives the specific reason a request was rejected, for logging; the client only sees the generic 401. */
export type RejectListener = (reason: string) => void;

export interface KeySetFailure {
  readonly url: string;
  /** What went wrong, e.g. `ECONNREFUSED: …` or `ERR_JWKS_TIMEOUT (…)`. */
  readonly cause: string;
  /** Failures since the previous report that were not reported on their own. */
  readonly suppressed: number;
}

/** Told about failed key-set fetches, at most about once a minute however many requests fail. */
export type KeySetFailureListener = (failure: KeySetFailure) => void;

interface TokenAuthOptions {
  /** A token with a `namespace` claim must carry exactly this value; tokens without the claim pass. */
  readonly namespace: string;
  /** When set, the token's `iss` must equal it. */
  readonly issuer?: string | undefined;
  /** When set, the token's `aud` must be or contain it. */
  readonly audience?: string | undefined;
  /** Accepted skew for `exp`/`nbf`, in seconds. Default 30. */
  readonly clockToleranceSeconds?: number;
  readonly onReject?: RejectListener;
}

export interface JwksAuthOptions extends TokenAuthOptions {
  readonly mode: 'jwks';
  readonly jwksUrl: string;
  /**
   * Minimum seconds between key-set refetches triggered by a token with an unknown `kid`. Default 30:
   * picks up a rotated key within that window while a flood of forged kids cannot hammer the IdP.
   */
  readonly jwksCooldownSeconds?: number;
  /** Longest wait for the key set, in milliseconds, before the request is answered UNAVAILABLE. Default 5000. */
  readonly jwksTimeoutMs?: number;
  readonly onKeySetFailure?: KeySetFailureListener;
}

export interface DevAuthOptions extends TokenAuthOptions {
  readonly mode: 'dev';
  readonly secret: string;
}

export interface MockAuthOptions {
  readonly mode: 'mock';
  /** User for requests without an `x-mock-user-id` header. Default 'test-user-123', as in the original. */
  readonly defaultUserId?: string;
  readonly onReject?: RejectListener;
}

export type AuthOptions = JwksAuthOptions | DevAuthOptions | MockAuthOptions;
