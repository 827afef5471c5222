import type { Db } from '../db/client.ts';
import { getActiveProgressStates, getProgressStates } from '../db/progress-rows.ts';
import { type CurrentCatalog, perCatalog } from '../domain/catalog.ts';
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
  catalog: CurrentCatalog;
  clock: () => Date;
}): ChallengeQueries {
  const rendererOf = perCatalog((catalog) => ({
    renderer: createChallengeRenderer(catalog),
    // `locked` depends on prerequisites, which may be inactive rows: read all rows unless the
    // catalog has no prerequisites at all and the caller only wants active goals.
    hasPrerequisites: [...catalog.goalById.values()].some((goal) => goal.prerequisites.length > 0),
  }));
  const rowsFor = (hasPrerequisites: boolean, userId: string, activeOnly: boolean) =>
    !activeOnly || hasPrerequisites
      ? getProgressStates(deps.db, userId)
      : getActiveProgressStates(deps.db, userId);
  return {
    async listChallenges(userId, activeOnly) {
      const { renderer, hasPrerequisites } = rendererOf(deps.catalog());
      const rows = await rowsFor(hasPrerequisites, userId, activeOnly);
      return renderer.renderList(rows, activeOnly, deps.clock());
    },
    async getChallenge(userId, challengeId, activeOnly) {
      const catalog = deps.catalog();
      if (!catalog.challengeById.has(challengeId)) throw challengeNotFound(challengeId);
      const { renderer, hasPrerequisites } = rendererOf(catalog);
      const rows = await rowsFor(hasPrerequisites, userId, activeOnly);
      return renderer.renderOne(challengeId, rows, activeOnly, deps.clock()) ?? '';
    },
  };
}
