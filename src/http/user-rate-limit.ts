/**
 * At most one call per user per window, remembered in this process only: N replicas allow up to N
 * calls per user per window. The map is bounded: entries leave when their window has passed, and
 * beyond `maxUsers` the oldest is forgotten early (that user could call again sooner), so a flood
 * of distinct users cannot grow memory. It guards the database's cost, not a security boundary.
 */
export interface UserRateLimit {
  /** Records the call and returns 0 when allowed; otherwise the whole seconds until it will be. */
  take(userId: string): number;
  /** Forgets a recorded call, for one that failed before doing anything. */
  release(userId: string): void;
}

export function createUserRateLimit(options: {
  readonly windowMs: number;
  readonly maxUsers: number;
  readonly clock: () => Date;
}): UserRateLimit {
  // Insertion order is call order: the oldest entries are always first.
  const lastCall = new Map<string, number>();
  const evict = (now: number) => {
    for (const [userId, at] of lastCall) {
      if (now - at < options.windowMs && lastCall.size < options.maxUsers) break;
      lastCall.delete(userId);
    }
  };
  return {
    take(userId) {
      const now = options.clock().getTime();
      const previous = lastCall.get(userId);
      if (previous !== undefined && now - previous < options.windowMs) {
        return Math.max(1, Math.ceil((previous + options.windowMs - now) / 1000));
      }
      lastCall.delete(userId);
      evict(now);
      lastCall.set(userId, now);
      return 0;
    },
    release: (userId) => void lastCall.delete(userId),
  };
}
