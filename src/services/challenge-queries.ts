import type { Db } from '../db/client.ts';
import { getActiveProgressStates, getProgressStates } from '../db/progress-rows.ts';
import type { Catalog } from '../domain/catalog.ts';
import { challengeNotFound } from '../domain/errors.ts';
import { createChallengeRenderer } from './goal-json.ts';

export interface ChallengeQueries {
  /** JSON text of `{"challenges":[…]}` with the player's progress. */
  listChallenges(userId: string, activeOnly: boolean): Promise<string>;
  /** JSON text of one challenge; CHALLENGE_NOT_FOUND for an unknown id. */
  getChallenge(userId: string, challengeId: string, activeOnly: boolean): Promise<string>;
}

export function createChallengeQueries(deps: {
  db: Db;
  catalog: Catalog;
  clock: () => Date;
}): ChallengeQueries {
  const renderer = createChallengeRenderer(deps.catalog);
  // `locked` depends on prerequisites, which may be inactive rows: read all rows unless the catalog
  // has no prerequisites at all and the caller only wants active goals.
  const hasPrerequisites = [...deps.catalog.goalById.values()].some((goal) => goal.prerequisites.length > 0);
  const rowsFor = (userId: string, activeOnly: boolean) =>
    !activeOnly || hasPrerequisites
      ? getProgressStates(deps.db, userId)
      : getActiveProgressStates(deps.db, userId);
  return {
    async listChallenges(userId, activeOnly) {
      const rows = await rowsFor(userId, activeOnly);
      return renderer.renderList(rows, activeOnly, deps.clock());
    },
    async getChallenge(userId, challengeId, activeOnly) {
      if (!deps.catalog.challengeById.has(challengeId)) throw challengeNotFound(challengeId);
      const rows = await rowsFor(userId, activeOnly);
      return renderer.renderOne(challengeId, rows, activeOnly, deps.clock()) ?? '';
    },
  };
}
