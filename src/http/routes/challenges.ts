import { Elysia, t } from 'elysia';
import type { Authenticate } from '../../auth/index.ts';
import { echoed, invalidRequest } from '../../domain/errors.ts';
import type { ChallengeQueries } from '../../services/challenge-queries.ts';
import type { GoalAssignment } from '../../services/goal-assignment.ts';
import {
  ActiveOnlyQuery,
  Challenge,
  ChallengeList,
  documented,
  InitializeResponse,
  PLAYER_SECURITY as security,
} from '../schemas.ts';

/** `true` or `false` in any case; absent means false. Anything else is a client mistake, not false. */
function parseActiveOnly(value: string | undefined): boolean {
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw invalidRequest(`Query parameter active_only must be true or false, got '${echoed(value)}'`);
}

/**
 * Sends JSON text the services already serialised. Returning the string, not a Response, lets
 * Elysia build the only Response with the request's other headers (x-request-id): a returned
 * Response would be copied into a new one with merged headers.
 */
const jsonText = (set: { headers: Record<string, unknown> }, body: string) => {
  set.headers['content-type'] = 'application/json';
  return body;
};

/** `queries` and `assignment` come bounded by the request deadline (see app.ts). */
export function challengeRoutes(deps: {
  authenticate: Authenticate;
  queries: ChallengeQueries;
  assignment: GoalAssignment;
}) {
  return new Elysia({ prefix: '/v1/challenges' })
    .derive(async ({ request }) => ({ userId: (await deps.authenticate(request.headers)).userId }))
    .get(
      '',
      async ({ userId, query, set }) =>
        jsonText(set, await deps.queries.listChallenges(userId, parseActiveOnly(query.active_only))),
      {
        query: ActiveOnlyQuery,
        detail: {
          summary: "All challenges with the caller's progress",
          description: '`active_only=true` keeps only goals active for the caller (challenges stay).',
          tags: ['challenges'],
          security,
          responses: documented(ChallengeList, [400, 401, 503]),
        },
      },
    )
    .post('/initialize', ({ userId }) => deps.assignment.initialize(userId), {
      detail: {
        summary: 'Assign default goals; call on every login',
        description:
          'Creates rows for default goals the player has none for (also defaults added since the last call). Idempotent.',
        tags: ['challenges'],
        security,
        responses: documented(InitializeResponse, [400, 401, 503]),
      },
    })
    .get(
      '/:challengeId',
      async ({ userId, params, query, set }) =>
        jsonText(
          set,
          await deps.queries.getChallenge(userId, params.challengeId, parseActiveOnly(query.active_only)),
        ),
      {
        params: t.Object({ challengeId: t.String() }),
        query: ActiveOnlyQuery,
        detail: {
          summary: "One challenge with the caller's progress",
          tags: ['challenges'],
          security,
          responses: documented(Challenge, [400, 401, 404, 503]),
        },
      },
    );
}
