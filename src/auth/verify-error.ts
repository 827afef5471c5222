import { errors } from 'jose';

/** What each jose failure means for an operator reading the log; the code itself stays in the reason. */
const JOSE_FAILURES: Readonly<Record<string, string>> = {
  ERR_JWT_EXPIRED: 'token has expired',
  ERR_JWT_CLAIM_VALIDATION_FAILED: 'a registered claim is out of range',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature does not match the key',
  ERR_JOSE_ALG_NOT_ALLOWED: 'signing algorithm is not accepted',
  ERR_JOSE_NOT_SUPPORTED: 'token or key type is not supported',
  ERR_JWS_INVALID: 'malformed token',
  ERR_JWT_INVALID: 'malformed token',
  ERR_JWKS_NO_MATCHING_KEY: 'no key in the key set matches the token kid/alg',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'several keys in the key set match the token kid/alg',
  ERR_JWKS_INVALID: 'key set response is not a valid JWKS',
  ERR_JWKS_TIMEOUT: 'key set request timed out',
  ERR_JWK_INVALID: 'key in the key set is invalid',
};

export const isJoseError = (error: unknown): error is errors.JOSEError => error instanceof errors.JOSEError;

/** Turns a jwtVerify failure into a log line such as `ERR_JWT_EXPIRED (token has expired): "exp" claim …`. */
export function describeVerifyError(error: unknown): string {
  if (isJoseError(error)) {
    const meaning = JOSE_FAILURES[error.code] ?? 'verification failed';
    return `${error.code} (${meaning}): ${error.message}`;
  }
  return describeUnknown(error);
}

/** `ECONNREFUSED: Unable to connect…` for system errors, which Bun and Node tag with a `code`. */
export function describeUnknown(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = 'code' in error && typeof error.code === 'string' ? error.code : error.name;
  return code === 'Error' || error.message.startsWith(code) ? error.message : `${code}: ${error.message}`;
}
