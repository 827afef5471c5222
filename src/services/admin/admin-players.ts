/**
 * The admin API's use cases for one player: look at their progress and audit trail, change a goal,
 * claim on their behalf, erase them. Every call names the admin, and every call but the erasure
 * leaves an audit entry saying so (see admin-audit.ts); an erasure also erases the trail, so it is
 * logged instead.
 */
import { lockStoredProgress, readStoredProgress } from '../../db/admin-progress.ts';
import type { ChangeNotices } from '../../db/change-notices.ts';
import type { Pool } from '../../db/client.ts';
import { checkedProgress } from '../../domain/admin-progress.ts';
import type { GoalEffect } from '../../domain/audit.ts';
import { type Catalog, type CurrentCatalog, perCatalog } from '../../domain/catalog.ts';
import { goalNotConfigured, invalidRequest } from '../../domain/errors.ts';
import { idProblem, MAX_USER_ID_LENGTH } from '../../domain/ids.ts';
import { viewProgress } from '../../domain/progress-view.ts';
import type { Goal } from '../../domain/types.ts';
import type { Logger } from '../../log.ts';
import type { AuditEntryJson, AuditTrail } from '../audit-trail.ts';
import type { ClaimResponse, ClaimReward } from '../claim-reward.ts';
import type { PlayerErasure } from '../erasure.ts';
import { createChallengeRenderer } from '../goal-json.ts';
import { changedEffect, writeAdminEntry } from './admin-audit.ts';
import { createGoalChanges, type GoalChangeResponse } from './goal-changes.ts';
import { type AdminChallengesResponse, adminChallenges } from './player-view.ts';

export interface AdminEventsResponse {
  readonly userId: string;
  /** Newest first. */
  readonly entries: readonly AuditEntryJson[];
}

export interface AdminClaimResponse extends ClaimResponse {
  readonly userId: string;
  readonly challengeId: string;
}

export interface AdminEraseResponse {
  readonly userId: string;
  /** Progress rows deleted, as a decimal string (as the player's own erasure answers). */
  readonly rowsDeleted: string;
}

export interface AdminPlayers {
  challenges(adminUserId: string, userId: string): Promise<AdminChallengesResponse>;
  events(
    adminUserId: string,
    userId: string,
    options: { readonly goalId?: string | undefined; readonly limit?: number | undefined },
  ): Promise<AdminEventsResponse>;
  /** `progress` as the request sent it: INVALID_REQUEST unless a whole number a row can store. */
  setProgress(
    adminUserId: string,
    userId: string,
    goalId: string,
    progress: unknown,
  ): Promise<GoalChangeResponse>;
  complete(adminUserId: string, userId: string, goalId: string): Promise<GoalChangeResponse>;
  reset(adminUserId: string, userId: string, goalId: string): Promise<GoalChangeResponse>;
  /** The player's own claim, with all its rules and its exactly-once grant. */
  claim(adminUserId: string, userId: string, goalId: string): Promise<AdminClaimResponse>;
  /** Idempotent, like the player's own erasure, and never rate limited. */
  erase(adminUserId: string, userId: string): Promise<AdminEraseResponse>;
}

export function createAdminPlayers(deps: {
  pool: Pool;
  notices: ChangeNotices;
  catalog: CurrentCatalog;
  namespace: string;
  clock: () => Date;
  auditTrail: AuditTrail;
  claimReward: ClaimReward;
  erasure: PlayerErasure;
  logger: Logger;
}): AdminPlayers {
  const { pool, clock } = deps;
  const rendererOf = perCatalog(createChallengeRenderer);
  const changeGoal = createGoalChanges(deps);
  const goalOf = (catalog: Catalog, goalId: string): Goal => {
    const goal = catalog.goalById.get(goalId);
    if (!goal) throw goalNotConfigured(goalId);
    return goal;
  };

  return {
    async challenges(adminUserId, userId) {
      checkUserId(userId);
      const catalog = deps.catalog();
      const rows = await readStoredProgress(pool, userId);
      const now = clock();
      const answer = adminChallenges(catalog, rendererOf(catalog), userId, rows, now);
      await writeAdminEntry(pool, { adminUserId, userId, action: 'view_challenges', goals: [], now });
      return answer;
    },

    async events(adminUserId, userId, options) {
      checkUserId(userId);
      // A goal that is no longer configured is accepted: its history is still worth reading.
      const entries = await deps.auditTrail.playerEntries(userId, options);
      await writeAdminEntry(pool, { adminUserId, userId, action: 'view_events', goals: [], now: clock() });
      return { userId, entries };
    },

    setProgress(adminUserId, userId, goalId, progress) {
      checkUserId(userId);
      return changeGoal(adminUserId, userId, goalId, {
        kind: 'set_progress',
        progress: checkedProgress(progress),
      });
    },

    complete(adminUserId, userId, goalId) {
      checkUserId(userId);
      return changeGoal(adminUserId, userId, goalId, { kind: 'complete' });
    },

    reset(adminUserId, userId, goalId) {
      checkUserId(userId);
      return changeGoal(adminUserId, userId, goalId, { kind: 'reset' });
    },

    async claim(adminUserId, userId, goalId) {
      checkUserId(userId);
      const goal = goalOf(deps.catalog(), goalId);
      const claimed = await deps.claimReward(userId, goal.challengeId, goalId, {
        withinClaim: async (tx, before) => {
          const now = clock();
          const after = await lockStoredProgress(tx, { userId, goalId });
          const effect: GoalEffect = after
            ? changedEffect(goalId, viewProgress(goal, before, now), viewProgress(goal, after, now))
            : { goalId, result: 'unchanged', reason: 'goal_not_assigned' };
          await writeAdminEntry(tx, { adminUserId, userId, action: 'claim', goals: [effect], now });
        },
      });
      return { userId, challengeId: goal.challengeId, ...claimed };
    },

    async erase(adminUserId, userId) {
      checkUserId(userId);
      const erased = await deps.erasure.erasePlayer(userId);
      // The erasure takes the player's audit trail with it, so this line is the only record.
      deps.logger.info({ adminUserId, userId, ...erased }, 'admin erased a player');
      return { userId, rowsDeleted: String(erased.progressRows) };
    },
  };
}

/** A user id from the path becomes a primary-key column: refuse what no player id can be. */
function checkUserId(userId: string): void {
  if (userId.trim() === '' || idProblem(userId, MAX_USER_ID_LENGTH) !== undefined)
    throw invalidRequest(`userId must be 1-${MAX_USER_ID_LENGTH} printable characters`);
}
