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

type AsyncFunction = (...args: never[]) => Promise<unknown>;

/** `fn` with every call answered by `withDeadline`. */
export function bounded<F extends AsyncFunction>(fn: F, ms: number): F {
  return ((...args: Parameters<F>) => withDeadline(fn(...args), ms)) as F;
}

/**
 * Every method of `service` bounded by `ms`. The app hands routes only bounded services, so a new
 * route is under the deadline without having to remember it; each route makes one service call.
 */
export function boundedService<S extends { [K in keyof S]: AsyncFunction }>(service: S, ms: number): S {
  const methods = Object.entries(service as Record<string, AsyncFunction>).map(
    ([name, method]) => [name, bounded(method.bind(service), ms)] as const,
  );
  return Object.fromEntries(methods) as S;
}
