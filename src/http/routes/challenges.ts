import { Elysia, t } from 'elysia';
import type { Authenticate } from '../../auth/index.ts';
import { echoed, invalidRequest } from '../../domain/errors.ts';
import type { ChallengeQueries } from '../../services/challenge-queries.ts';
import type { GoalAssignment } from '../../services/goal-assignment.ts';
import { conditionalJson, heldBy } from '../conditional-json.ts';
import {
  ActiveOnlyQuery,
  Challenge,
  ChallengeList,
  documented,
  InitializeResponse,
  PLAYER_SECURITY as security,
} from '../schemas.ts';

/** `true` or `false` in any case; absent means false. Anything else is a client mistake, not false. */
export function parseActiveOnly(value: string | undefined): boolean {
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw invalidRequest(`Query parameter active_only must be true or false, got '${echoed(value)}'`);
}

/** `queries` and `assignment` come bounded by the request deadline (see app.ts). */
export function challengeRoutes(deps: {
  authenticate: Authenticate;
  queries: ChallengeQueries;
  assignment: GoalAssignment;
  /** Compress list answers for clients that accept gzip (on by default). */
  gzip?: boolean;
}) {
  return new Elysia({ prefix: '/v1/challenges' })
    .derive(async ({ request }) => ({ userId: (await deps.authenticate(request.headers)).userId }))
    .get(
      '',
      async ({ userId, query, set, request }) =>
        conditionalJson(
          request,
          set,
          await deps.queries.listChallenges(userId, parseActiveOnly(query.active_only), heldBy(request)),
          { gzip: deps.gzip ?? true },
        ),
      {
        query: ActiveOnlyQuery,
        detail: {
          summary: "All challenges with the caller's progress",
          description:
            '`active_only=true` keeps only goals active for the caller (challenges stay). The answer has a weak `ETag`: send it back in `If-None-Match` and an unchanged list is 304 with no body. `Accept-Encoding: gzip` gets it compressed.',
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
      async ({ userId, params, query, set, request }) =>
        conditionalJson(
          request,
          set,
          await deps.queries.getChallenge(
            userId,
            params.challengeId,
            parseActiveOnly(query.active_only),
            heldBy(request),
          ),
          { gzip: deps.gzip ?? true },
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
