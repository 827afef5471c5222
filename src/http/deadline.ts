import { AppError } from '../domain/errors.ts';

/**
 * Answers UNAVAILABLE when `work` has not settled within `ms`. Every request must end in bounded
 * time: when the database drops, queries queued on a connection the driver broke never settle.
 * The work itself is not cancelled; operations it may still finish are idempotent or guarded
 * (claims are reserved in a ledger, assignments use ON CONFLICT).
 */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AppError('UNAVAILABLE', `The request did not finish within ${ms} ms; retry later`)),
      ms,
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
