import { Elysia, t } from 'elysia';
import type { Authenticate } from '../../auth/index.ts';
import type { ChallengeQueries } from '../../services/challenge-queries.ts';
import type { GoalAssignment } from '../../services/goal-assignment.ts';
import { withDeadline } from '../deadline.ts';
import { ActiveOnlyQuery, Challenge, ChallengeList, documented, InitializeResponse } from '../schemas.ts';

const security = [{ bearer: [] }];
const isTrue = (value: string | undefined) => value?.toLowerCase() === 'true';

/**
 * Sends JSON text the services already serialised. Returning the string, not a Response, lets
 * Elysia build the only Response with the request's other headers (x-request-id): a returned
 * Response would be copied into a new one with merged headers.
 */
const jsonText = (set: { headers: Record<string, unknown> }, body: string) => {
  set.headers['content-type'] = 'application/json';
  return body;
};

export function challengeRoutes(deps: {
  authenticate: Authenticate;
  queries: ChallengeQueries;
  assignment: GoalAssignment;
  requestTimeoutMs: number;
}) {
  const bounded = <T>(work: Promise<T>) => withDeadline(work, deps.requestTimeoutMs);
  return new Elysia({ prefix: '/v1/challenges' })
    .derive(async ({ request }) => ({ userId: (await deps.authenticate(request.headers)).userId }))
    .get(
      '',
      async ({ userId, query, set }) =>
        jsonText(set, await deps.queries.listChallenges(userId, isTrue(query.active_only))),
      {
        query: ActiveOnlyQuery,
        detail: {
          summary: "All challenges with the caller's progress",
          description: '`active_only=true` keeps only goals active for the caller (challenges stay).',
          tags: ['challenges'],
          security,
          responses: documented(ChallengeList, [400, 401]),
        },
      },
    )
    .post('/initialize', ({ userId }) => bounded(deps.assignment.initialize(userId)), {
      detail: {
        summary: 'Assign default goals; call on every login',
        description:
          'Creates rows for default goals the player has none for (also defaults added since the last call). Idempotent.',
        tags: ['challenges'],
        security,
        responses: documented(InitializeResponse, [401]),
      },
    })
    .get(
      '/:challengeId',
      async ({ userId, params, query, set }) =>
        jsonText(
          set,
          await bounded(deps.queries.getChallenge(userId, params.challengeId, isTrue(query.active_only))),
        ),
      {
        params: t.Object({ challengeId: t.String() }),
        query: ActiveOnlyQuery,
        detail: {
          summary: "One challenge with the caller's progress",
          tags: ['challenges'],
          security,
          responses: documented(Challenge, [401, 404]),
        },
      },
    );
}
