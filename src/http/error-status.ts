import type { ErrorCode } from '../domain/errors.ts';

/** HTTP status of every error code; `satisfies` makes a missing code a compile error. */
export const HTTP_STATUS_OF = {
  INVALID_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CHALLENGE_NOT_FOUND: 404,
  GOAL_NOT_FOUND: 404,
  GOAL_NOT_ACTIVE: 400,
  GOAL_NOT_COMPLETED: 400,
  GOAL_ALREADY_CLAIMED: 409,
  PREREQUISITES_NOT_MET: 400,
  INSUFFICIENT_GOALS: 400,
  REWARD_GRANT_FAILED: 502,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
} as const satisfies Record<ErrorCode, number>;
