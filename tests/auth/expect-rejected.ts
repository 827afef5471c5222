import { expect } from 'bun:test';
import { isAppError, unauthenticated } from '../../src/domain/errors.ts';

/** Collects onReject reasons so a test can check the specific one behind a generic 401. */
export function reasonLog(): { readonly reasons: string[]; readonly onReject: (reason: string) => void } {
  const reasons: string[] = [];
  return { reasons, onReject: (reason) => reasons.push(reason) };
}

/** The call fails with the generic UNAUTHENTICATED error, and exactly one reason matching `reason` was reported. */
export async function expectRejected(
  attempt: Promise<unknown>,
  reasons: readonly string[],
  reason: string | RegExp,
): Promise<void> {
  const error = await attempt.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  expect(error.code).toBe('UNAUTHENTICATED');
  expect(error.message).toBe(unauthenticated().message);
  expect(reasons).toHaveLength(1);
  const [reported = ''] = reasons;
  if (typeof reason === 'string') expect(reported).toContain(reason);
  else expect(reported).toMatch(reason);
}
