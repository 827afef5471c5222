/**
 * An admin's change of one goal for one player (set progress, complete, reset): lock the row, apply
 * the rules of domain/admin-progress.ts, write the row and the audit entry in one transaction.
 */
import { lockStoredProgress, type StoredProgress, writeAdminProgress } from '../../db/admin-progress.ts';
import type { ChangeNotices } from '../../db/change-notices.ts';
import type { Pool } from '../../db/client.ts';
import { type AdminChange, applyAdminChange, freshState } from '../../domain/admin-progress.ts';
import type { GoalEffect } from '../../domain/audit.ts';
import type { CurrentCatalog } from '../../domain/catalog.ts';
import { goalNotConfigured } from '../../domain/errors.ts';
import { outboxMessageTypeOf } from '../../domain/outbox-message.ts';
import { progressNoticePayloads } from '../../domain/progress-notice.ts';
import { viewProgress } from '../../domain/progress-view.ts';
import { nextPeriodStart } from '../../domain/rotation.ts';
import { formatTimestamp } from '../../domain/time.ts';
import type { Goal, GoalStatus } from '../../domain/types.ts';
import { changedEffect, writeAdminEntry } from './admin-audit.ts';
import { type StoredJson, storedJson } from './player-view.ts';

export interface GoalChangeResponse {
  readonly userId: string;
  readonly challengeId: string;
  readonly goalId: string;
  readonly action: AdminChange['kind'];
  /** What the change did, as the audit entry records it. */
  readonly effect: GoalEffect;
  /** The player's view of the goal after the change. */
  readonly progress: number;
  readonly status: GoalStatus;
  readonly isActive: boolean;
  readonly completedAt: string;
  readonly claimedAt: string;
  /** The row after the change; null when the player has none. */
  readonly stored: StoredJson | null;
}

export type ChangeGoal = (
  adminUserId: string,
  userId: string,
  goalId: string,
  change: AdminChange,
) => Promise<GoalChangeResponse>;

/**
 * Set progress and complete create a missing row (active, assigned now): the usual reason to fix a
 * player's progress by hand is that the goal was not assigned when the events came. Reset of a goal
 * without a row changes nothing and is recorded as `goal_not_assigned`.
 */
export function createGoalChanges(deps: {
  pool: Pool;
  /** Announces the change after it committed, to live streams and webhook deliverers anywhere. */
  notices: ChangeNotices;
  catalog: CurrentCatalog;
  namespace: string;
  clock: () => Date;
}): ChangeGoal {
  return async (adminUserId, userId, goalId, change) => {
    const goal = deps.catalog().goalById.get(goalId);
    if (!goal) throw goalNotConfigured(goalId);
    // With what the change is to announce once it committed: nothing when it changed nothing.
    const { answer, announce } = await deps.pool.begin(
      async (tx): Promise<{ answer: GoalChangeResponse; announce?: () => void }> => {
        const now = deps.clock();
        const key = { userId, goalId };
        const start = freshState(goal, now);
        const row = await lockStoredProgress(
          tx,
          key,
          change.kind === 'reset'
            ? undefined
            : {
                challengeId: goal.challengeId,
                namespace: deps.namespace,
                periodStart: start.periodStart,
                expiresAt: periodEnd(goal, start.periodStart),
                now,
              },
        );
        const record = (effect: GoalEffect) =>
          writeAdminEntry(tx, { adminUserId, userId, action: change.kind, goals: [effect], now });
        if (!row) {
          const effect: GoalEffect = { goalId, result: 'unchanged', reason: 'goal_not_assigned' };
          await record(effect);
          return { answer: response({ userId, goal, change, effect, row: undefined, now }) };
        }
        const result = applyAdminChange(goal, row, change, now);
        if ('unchanged' in result) {
          const effect: GoalEffect = { goalId, result: 'unchanged', reason: result.unchanged };
          await record(effect);
          return { answer: response({ userId, goal, change, effect, row, now }) };
        }
        const expiresAt = periodEnd(goal, result.next.periodStart);
        await writeAdminProgress(tx, {
          ...key,
          state: result.next,
          expiresAt,
          newEarning: change.kind === 'reset',
          now,
        });
        const after: StoredProgress = {
          ...row,
          ...result.next,
          expiresAt: expiresAt ?? row.expiresAt,
          updatedAt: now,
        };
        // Progress set without completing or resetting has no outbox message; live streams learn of it
        // from a progress notice.
        const announce =
          outboxMessageTypeOf(row, after, change.kind === 'reset') === undefined
            ? () => deps.notices.progressMoved(progressNoticePayloads(now, [{ userId, goalIds: [goalId] }]))
            : () => deps.notices.outboxChanged([userId]);
        const effect = changedEffect(goalId, viewProgress(goal, row, now), viewProgress(goal, after, now));
        await record(effect);
        return { answer: response({ userId, goal, change, effect, row: after, now }), announce };
      },
    );
    announce?.();
    return answer;
  };
}

/** A rotating goal's row expires when its period ends; other rows keep what they store. */
function periodEnd(goal: Goal, periodStart: string | null): Date | null {
  if (!goal.rotation || periodStart === null) return null;
  return nextPeriodStart(goal.rotation.schedule, new Date(`${periodStart}T00:00:00Z`));
}

function response(input: {
  userId: string;
  goal: Goal;
  change: AdminChange;
  effect: GoalEffect;
  row: StoredProgress | undefined;
  now: Date;
}): GoalChangeResponse {
  const { goal, row } = input;
  const view = viewProgress(goal, row, input.now);
  return {
    userId: input.userId,
    challengeId: goal.challengeId,
    goalId: goal.goalId,
    action: input.change.kind,
    effect: input.effect,
    progress: view.progress,
    status: view.status,
    isActive: view.isActive,
    completedAt: formatTimestamp(view.completedAt),
    claimedAt: formatTimestamp(view.claimedAt),
    stored: row ? storedJson(row) : null,
  };
}
