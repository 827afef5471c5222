/**
 * Rules of batch and random goal selection: which ids a request names, which goals a random pick
 * may draw from, how the pick is made, and what a selection changes. Pure: the rows and the
 * randomness come in as parameters.
 */
import { isDone } from './progress-view.ts';
import type { Goal, GoalStatus } from './types.ts';

/** The part of a goal's progress view the selection rules read; a goal with no row has none. */
export interface SelectionView {
  readonly status: GoalStatus;
  readonly isActive: boolean;
}

/** `ids` without repeats, each at its first position: a repeated id is one selection, not two writes. */
export function uniqueIds(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

/**
 * The goals a random selection may choose, in configuration order: not completed or claimed, not
 * active when the request excludes active goals or replaces them (a replaced goal must not be
 * chosen again), and with every prerequisite completed or claimed.
 */
export function randomPool(
  goals: readonly Goal[],
  views: ReadonlyMap<string, SelectionView>,
  options: { readonly excludeActive: boolean; readonly replaceExisting: boolean },
): Goal[] {
  const skipActive = options.excludeActive || options.replaceExisting;
  const statusOf = (goalId: string) => views.get(goalId)?.status ?? 'not_started';
  return goals.filter((goal) => {
    const view = views.get(goal.goalId);
    if (view && isDone(view.status)) return false;
    if (skipActive && view?.isActive) return false;
    return goal.prerequisites.every((goalId) => isDone(statusOf(goalId)));
  });
}

/** A uniform whole number in [0, bound). */
export type RandomInt = (bound: number) => number;

const UINT32_RANGE = 0x1_0000_0000;

/**
 * Cryptographically random: players cannot predict which goals they get. Values at or above the
 * largest multiple of `bound` are drawn again, since folding them in would favour small results.
 */
export const cryptoRandomInt: RandomInt = (bound) => {
  const limit = UINT32_RANGE - (UINT32_RANGE % bound);
  const buffer = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buffer);
    const value = buffer[0] ?? 0;
    if (value < limit) return value % bound;
  }
};

/** `min(count, items.length)` distinct items, each subset equally likely (partial Fisher–Yates). */
export function pickRandom<T>(
  items: readonly T[],
  count: number,
  randomInt: RandomInt = cryptoRandomInt,
): T[] {
  const pool = [...items];
  const taken = Math.min(count, pool.length);
  for (let i = 0; i < taken; i++) {
    const j = i + randomInt(pool.length - i);
    const picked = pool[j] as T;
    pool[j] = pool[i] as T;
    pool[i] = picked;
  }
  return pool.slice(0, taken);
}

export interface SelectionPlan {
  /** Selected goals that are not active yet (an active goal is left as it is, assignment time included). */
  readonly activate: readonly string[];
  /** Active goals of the challenge outside the selection, in configuration order; only when replacing. */
  readonly deactivate: readonly string[];
}

/**
 * What selecting `selected` in a challenge changes. Replacing deactivates only the active goals
 * the new selection leaves out: a goal that is selected again stays active and is not reported
 * as replaced.
 */
export function planSelection(
  challengeGoals: readonly Goal[],
  views: ReadonlyMap<string, SelectionView>,
  selected: readonly string[],
  replaceExisting: boolean,
): SelectionPlan {
  const chosen = new Set(selected);
  const activate = selected.filter((goalId) => !views.get(goalId)?.isActive);
  const deactivate = replaceExisting
    ? challengeGoals
        .map((goal) => goal.goalId)
        .filter((goalId) => !chosen.has(goalId) && views.get(goalId)?.isActive)
    : [];
  return { activate, deactivate };
}
