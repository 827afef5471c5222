/**
 * The closed set of error codes. The code is the contract: clients branch on it, and the HTTP and
 * gRPC adapters map it to a transport status through exhaustive tables (`http/error-status.ts`).
 * The gRPC status number is also carried in REST error bodies because the original's clients read it.
 */
export const ERROR_CODES = [
  'INVALID_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'CHALLENGE_NOT_FOUND',
  'GOAL_NOT_FOUND',
  'GOAL_NOT_ACTIVE',
  'GOAL_NOT_COMPLETED',
  'GOAL_ALREADY_CLAIMED',
  'PREREQUISITES_NOT_MET',
  'INSUFFICIENT_GOALS',
  'REWARD_GRANT_FAILED',
  'RESOURCE_EXHAUSTED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** gRPC status numbers (grpc/status.proto). Kept here so the domain does not import a transport. */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcStatusNumber = (typeof GRPC_STATUS)[keyof typeof GRPC_STATUS];

/** Which gRPC status each code stands for; REST bodies carry it as `code`, the gRPC port returns it. */
export const GRPC_STATUS_OF = {
  INVALID_REQUEST: GRPC_STATUS.INVALID_ARGUMENT,
  PAYLOAD_TOO_LARGE: GRPC_STATUS.RESOURCE_EXHAUSTED,
  UNAUTHENTICATED: GRPC_STATUS.UNAUTHENTICATED,
  PERMISSION_DENIED: GRPC_STATUS.PERMISSION_DENIED,
  NOT_FOUND: GRPC_STATUS.NOT_FOUND,
  METHOD_NOT_ALLOWED: GRPC_STATUS.UNIMPLEMENTED,
  CHALLENGE_NOT_FOUND: GRPC_STATUS.NOT_FOUND,
  GOAL_NOT_FOUND: GRPC_STATUS.NOT_FOUND,
  GOAL_NOT_ACTIVE: GRPC_STATUS.FAILED_PRECONDITION,
  GOAL_NOT_COMPLETED: GRPC_STATUS.FAILED_PRECONDITION,
  GOAL_ALREADY_CLAIMED: GRPC_STATUS.ALREADY_EXISTS,
  PREREQUISITES_NOT_MET: GRPC_STATUS.FAILED_PRECONDITION,
  INSUFFICIENT_GOALS: GRPC_STATUS.INVALID_ARGUMENT,
  REWARD_GRANT_FAILED: GRPC_STATUS.INTERNAL,
  RESOURCE_EXHAUSTED: GRPC_STATUS.RESOURCE_EXHAUSTED,
  UNAVAILABLE: GRPC_STATUS.UNAVAILABLE,
  INTERNAL: GRPC_STATUS.INTERNAL,
} as const satisfies Record<ErrorCode, GrpcStatusNumber>;

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly details: readonly unknown[];
  /** When a refused call may be repeated; the HTTP edge sends it as Retry-After. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: readonly unknown[]; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details ?? [];
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;

/** Longest caller-supplied value echoed in a message; ids in the catalog are far shorter. */
export const MAX_ECHOED_CHARS = 100;

/**
 * A caller-supplied value (path segment, query value) as messages show it: cut to
 * MAX_ECHOED_CHARS with an ellipsis, so a huge id cannot make the error body as large as the request.
 */
export const echoed = (value: string): string =>
  value.length > MAX_ECHOED_CHARS ? `${value.slice(0, MAX_ECHOED_CHARS)}…` : value;

export const invalidRequest = (message: string, details?: readonly unknown[]) =>
  new AppError('INVALID_REQUEST', message, details ? { details } : undefined);

export const unauthenticated = (message = 'A valid bearer token is required (Authorization: Bearer <JWT>)') =>
  new AppError('UNAUTHENTICATED', message);

/** Authenticated, but without the permission the call needs (admin routes). */
export const permissionDenied = (permission: string) =>
  new AppError('PERMISSION_DENIED', `This call needs the permission ${permission}`);

export const challengeNotFound = (challengeId: string) =>
  new AppError('CHALLENGE_NOT_FOUND', `Challenge '${echoed(challengeId)}' not found`);

export const goalNotFound = (goalId: string, challengeId: string) =>
  new AppError('GOAL_NOT_FOUND', `Goal '${echoed(goalId)}' not found in challenge '${echoed(challengeId)}'`);

/** A goal id looked up across all challenges (admin routes name no challenge). */
export const goalNotConfigured = (goalId: string) =>
  new AppError('GOAL_NOT_FOUND', `Goal '${echoed(goalId)}' is not in the challenge configuration in force`);

export const goalNotActive = (goalId: string, challengeId: string) =>
  new AppError(
    'GOAL_NOT_ACTIVE',
    `Goal '${echoed(goalId)}' must be active to claim its reward. Activate it first via PUT /v1/challenges/${echoed(challengeId)}/goals/${echoed(goalId)}/active with {"isActive": true}`,
  );

export const goalNotCompleted = (goalId: string, status: string) =>
  new AppError(
    'GOAL_NOT_COMPLETED',
    `Goal '${echoed(goalId)}' is not completed (status: ${status}). Progress is applied as events arrive; try again once it is completed`,
  );

export const goalAlreadyClaimed = (goalId: string, claimedAt: string) =>
  new AppError(
    'GOAL_ALREADY_CLAIMED',
    claimedAt === ''
      ? `Reward for goal '${echoed(goalId)}' is already being claimed`
      : `Reward for goal '${echoed(goalId)}' has already been claimed (claimed_at: ${claimedAt})`,
  );

export const prerequisitesNotMet = (goalId: string, missing: readonly string[]) =>
  new AppError(
    'PREREQUISITES_NOT_MET',
    `Prerequisites of goal '${echoed(goalId)}' are not completed: ${missing.map((id) => `'${id}'`).join(', ')}`,
    { details: missing.map((goalId) => ({ prerequisite: goalId })) },
  );

/** The original's text, which its clients match on: a random selection with nothing to choose from. */
export const insufficientGoals = (available: number, requested: number) =>
  new AppError(
    'INSUFFICIENT_GOALS',
    `INSUFFICIENT_GOALS: no goals available for selection (available: ${available}, requested: ${requested})`,
  );

export const rewardGrantFailed = (goalId: string, cause: unknown) =>
  new AppError(
    'REWARD_GRANT_FAILED',
    `The reward backend did not grant the reward for goal '${echoed(goalId)}'; the goal is still claimable, try again later`,
    { cause },
  );

export const outboxMessageNotFound = (id: string) =>
  new AppError(
    'NOT_FOUND',
    `Outbox message '${echoed(id)}' not found (it may have passed OUTBOX_RETENTION_HOURS)`,
  );

export const payloadTooLarge = (limitBytes: number) =>
  new AppError('PAYLOAD_TOO_LARGE', `Request body is larger than ${limitBytes} bytes`);

export const routeNotFound = (method: string, path: string) =>
  new AppError('NOT_FOUND', `No route for ${echoed(method)} ${echoed(path)}; see /swagger for the API`);

/** `allowed` is what the path does answer to; the HTTP edge also sends it as the Allow header. */
export const methodNotAllowed = (method: string, path: string, allowed: readonly string[]) =>
  new AppError(
    'METHOD_NOT_ALLOWED',
    `${echoed(method)} is not allowed on ${echoed(path)}; it accepts ${allowed.join(', ')}`,
  );

/** A per-user rate limit refused the call; `what` names it, e.g. "Data deletion". */
export const rateLimited = (what: string, windowSeconds: number, retryAfterSeconds: number) =>
  new AppError(
    'RESOURCE_EXHAUSTED',
    `${what} is allowed once every ${windowSeconds} seconds per user; retry in ${retryAfterSeconds} seconds`,
    { retryAfterSeconds },
  );
