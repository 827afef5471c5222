import { expect } from 'bun:test';
import { type AppError, isAppError, unauthenticated } from '../../src/domain/errors.ts';

/** Collects onReject reasons so a test can check the specific one behind a generic 401. */
export function reasonLog(): { readonly reasons: string[]; readonly onReject: (reason: string) => void } {
  const reasons: string[] = [];
  return { reasons, onReject: (reason) => reasons.push(reason) };
}

/** The AppError the call fails with; fails the test when it resolves or throws anything else. */
export async function appErrorOf(attempt: Promise<unknown>): Promise<AppError> {
  const error = await attempt.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

/**
 * The call fails with UNAUTHENTICATED and the given client message (the generic one unless told),
 * and exactly one reason matching `reason` was reported.
 */
export async function expectRejected(
  attempt: Promise<unknown>,
  reasons: readonly string[],
  reason: string | RegExp,
  message = unauthenticated().message,
): Promise<void> {
  const error = await appErrorOf(attempt);
  expect(error.code).toBe('UNAUTHENTICATED');
  expect(error.message).toBe(message);
  expect(reasons).toHaveLength(1);
  const [reported = ''] = reasons;
  if (typeof reason === 'string') expect(reported).toContain(reason);
  else expect(reported).toMatch(reason);
}
