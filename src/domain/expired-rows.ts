/**
 * Which rows of rotating goals the expired-row cleanup may delete once their period has ended long
 * enough ago: only rows that hold nothing the service would not rebuild by itself.
 *
 * A row is disposable when the next reader would start it over anyway (rollover.ts): a claimed
 * row of a goal with `allowReselection`, an unclaimed row of a goal with `resetProgress`. Its
 * assignment must be rebuilt too: an active row of a default goal comes back from `/initialize`,
 * and an inactive row of any other goal reads the same as no row. Everything else stays: a claimed
 * row of a goal that is not reselectable (it blocks a second claim), an unclaimed row that carries
 * progress or a completion into the next period, a default goal the player deactivated (the
 * deactivation would be forgotten) and a goal the player activated by hand (the selection would).
 */
import type { Catalog } from './catalog.ts';

export interface DisposableGoal {
  readonly goalId: string;
  readonly unclaimedStartsOver: boolean;
  readonly claimedStartsOver: boolean;
  /** Rows of default goals are disposable when active, rows of other goals when inactive. */
  readonly defaultAssigned: boolean;
}

/** Rotating goals of the catalog whose rows can become disposable; goals that cannot are left out. */
export function disposableGoals(catalog: Catalog): DisposableGoal[] {
  const goals: DisposableGoal[] = [];
  for (const goal of catalog.goalById.values()) {
    const { rotation } = goal;
    if (!rotation || !(rotation.resetProgress || rotation.allowReselection)) continue;
    goals.push({
      goalId: goal.goalId,
      unclaimedStartsOver: rotation.resetProgress,
      claimedStartsOver: rotation.allowReselection,
      defaultAssigned: goal.defaultAssigned,
    });
  }
  return goals;
}
