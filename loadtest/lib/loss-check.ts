/**
 * Loss accounting for event runs. The workload has one default-assigned `increment` goal that
 * counts every applied login per user and never completes, so the database holds an exact
 * per-user count of applied logins. Compared with the logins the service acknowledged during the
 * run (after redelivering every failed event with its original id), any shortfall is a lost event
 * and any surplus is an event applied twice.
 */
export interface LossReport {
  readonly acknowledged: number;
  readonly applied: number;
  readonly lost: number;
  readonly appliedTwice: number;
}

/** Per user: applied = after − before; lost = acknowledged − applied when positive, twice the reverse. */
export function compareLoss(
  acknowledged: ReadonlyMap<string, number>,
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): LossReport {
  let lost = 0;
  let appliedTwice = 0;
  let acknowledgedTotal = 0;
  let appliedTotal = 0;
  for (const user of new Set([...acknowledged.keys(), ...after.keys()])) {
    const acked = acknowledged.get(user) ?? 0;
    const applied = (after.get(user) ?? 0) - (before.get(user) ?? 0);
    acknowledgedTotal += acked;
    appliedTotal += applied;
    if (applied < acked) lost += acked - applied;
    if (applied > acked) appliedTwice += applied - acked;
  }
  return { acknowledged: acknowledgedTotal, applied: appliedTotal, lost, appliedTwice };
}

/** Adds up per-user counts reported by several generator processes. */
export function mergeCounts(parts: readonly (readonly (readonly [string, number])[])[]): Map<string, number> {
  const total = new Map<string, number>();
  for (const part of parts) for (const [user, n] of part) total.set(user, (total.get(user) ?? 0) + n);
  return total;
}
