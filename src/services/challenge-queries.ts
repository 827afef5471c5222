import pLimit from 'p-limit';
import type { Db } from '../db/client.ts';
import { getActiveProgressStates, getProgressStates } from '../db/progress-rows.ts';
import { type CurrentCatalog, perCatalog } from '../domain/catalog.ts';
import { AppError, challengeNotFound } from '../domain/errors.ts';
import { createChallengeRenderer } from './goal-json.ts';

/**
 * An answer that clients poll: its tag, and its JSON as UTF-8 unless the client holds that answer
 * already (told by the tag, without rendering it).
 */
export interface ChallengeAnswer {
  /** Changes whenever the JSON does (goal-json.ts, `listTag`). */
  readonly tag: string;
  /** Undefined when `held(tag)`. */
  readonly json: Uint8Array<ArrayBuffer> | undefined;
}

/** Whether the client holds the answer with this tag. */
export type HeldAnswer = (tag: string) => boolean;

export interface ChallengeQueries {
  /** `{"challenges":[…]}` with the player's progress. */
  listChallenges(userId: string, activeOnly: boolean, held: HeldAnswer): Promise<ChallengeAnswer>;
  /** One challenge; CHALLENGE_NOT_FOUND for an unknown id. */
  getChallenge(
    userId: string,
    challengeId: string,
    activeOnly: boolean,
    held: HeldAnswer,
  ): Promise<ChallengeAnswer>;
}

/**
 * Answers read and rendered at once. Beyond it, requests wait their turn here instead of as reads
 * pipelined onto the pool's connections: the one HTTP thread renders no faster either way, but
 * without a bound an overload of lists holds every waiting request's rows, and soon its ~190 KB
 * text, in memory at once, and those reads queue ahead of other requests' statements on the
 * connections (loadtest/RESULTS.md, "A bound on the lists in flight").
 */
export const MAX_ANSWERS_IN_FLIGHT = 64;

export function createChallengeQueries(deps: {
  db: Db;
  catalog: CurrentCatalog;
  clock: () => Date;
  /**
   * A request that waited this long for its turn is not read: its deadline has passed and its
   * client has its 503 already, so the work would serve nobody and delay the requests behind it.
   */
  maxWaitMs: number;
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
  const limit = pLimit(MAX_ANSWERS_IN_FLIGHT);
  const inTurn = <T>(answer: () => Promise<T>): Promise<T> => {
    const queuedAt = deps.clock().getTime();
    return limit(() => {
      const waited = deps.clock().getTime() - queuedAt;
      if (waited > deps.maxWaitMs)
        throw new AppError('UNAVAILABLE', `The request waited ${waited} ms for its turn; retry later`);
      return answer();
    });
  };
  // The text is rendered in the answer's turn: the bound holds rendered texts too.
  return {
    listChallenges: (userId, activeOnly, held) =>
      inTurn(async () => {
        const { renderer, hasPrerequisites } = rendererOf(deps.catalog());
        const rows = await rowsFor(hasPrerequisites, userId, activeOnly);
        const now = deps.clock();
        const tag = renderer.listTag(rows, activeOnly, now);
        return { tag, json: held(tag) ? undefined : renderer.renderList(rows, activeOnly, now) };
      }),
    async getChallenge(userId, challengeId, activeOnly, held) {
      const catalog = deps.catalog();
      if (!catalog.challengeById.has(challengeId)) throw challengeNotFound(challengeId);
      return inTurn(async () => {
        const { renderer, hasPrerequisites } = rendererOf(catalog);
        const rows = await rowsFor(hasPrerequisites, userId, activeOnly);
        const now = deps.clock();
        // The renderer is the checked catalog's, so both know the challenge.
        const tag = renderer.oneTag(challengeId, rows, activeOnly, now);
        if (tag === undefined) throw challengeNotFound(challengeId);
        if (held(tag)) return { tag, json: undefined };
        const json = renderer.renderOne(challengeId, rows, activeOnly, now);
        if (json === undefined) throw challengeNotFound(challengeId);
        return { tag, json };
      });
    },
  };
}
