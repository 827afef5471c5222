import { AppError, type ErrorCode, GRPC_STATUS_OF, invalidRequest } from '../domain/errors.ts';
import { HTTP_STATUS_OF } from './error-status.ts';

export interface ErrorBody {
  readonly error: ErrorCode;
  readonly code: number;
  readonly message: string;
  readonly details: readonly unknown[];
}

export function errorBody(error: AppError): ErrorBody {
  return {
    error: error.code,
    code: GRPC_STATUS_OF[error.code],
    message: error.message,
    details: error.details,
  };
}

export function errorResponse(
  error: AppError,
  requestId: string,
  headers: Readonly<Record<string, string>> = {},
): Response {
  return new Response(JSON.stringify(errorBody(error)), {
    status: HTTP_STATUS_OF[error.code],
    headers: { ...headers, 'content-type': 'application/json', 'x-request-id': requestId },
  });
}

/** Turns a TypeBox validation failure into one readable sentence naming the field. */
export function validationError(
  where: string,
  issues: ReadonlyArray<{ path: string; message: string }>,
): AppError {
  const first = issues[0];
  const field = first?.path ? first.path.replace(/^\//, '').replaceAll('/', '.') : where;
  return invalidRequest(`Invalid ${where}: ${field} ${first?.message.toLowerCase() ?? 'is invalid'}`);
}

export const internalError = () =>
  new AppError('INTERNAL', 'An unexpected error occurred; it was logged with this request id');

export const asAppError = (error: unknown): AppError | undefined =>
  error instanceof AppError ? error : undefined;
