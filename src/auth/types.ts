/** The contract between the HTTP layer and the authentication modes. */

export type AuthMode = 'jwks' | 'dev' | 'mock';

export interface AuthenticatedUser {
  readonly userId: string;
}

/** Throws AppError('UNAUTHENTICATED') on any failure; never leaks the reason to the caller's message. */
export type Authenticate = (headers: Headers) => Promise<AuthenticatedUser>;

/** Receives the specific reason a request was rejected, for logging; the client only sees the generic 401. */
export type RejectListener = (reason: string) => void;

interface TokenAuthOptions {
  /** A token with a `namespace` claim must carry exactly this value; tokens without the claim pass. */
  readonly namespace: string;
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

/** AGS user ids are 32 characters; anything past this is garbage or an attempt to bloat rows and logs. */
export const MAX_USER_ID_LENGTH = 100;
