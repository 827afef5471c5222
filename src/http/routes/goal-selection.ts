import { Elysia, t } from 'elysia';
import type { Authenticate } from '../../auth/index.ts';
import type { GoalSelection } from '../../services/goal-selection.ts';
import {
  BatchSelectBody,
  DOCUMENTED_BODIES,
  documented,
  GoalSelectionResponse,
  RandomSelectBody,
  PLAYER_SECURITY as security,
} from '../schemas.ts';

const ChallengeParams = t.Object({ challengeId: t.String() });

/** `selection` comes bounded by the request deadline (see app.ts). Bodies take camelCase or snake_case keys. */
export function goalSelectionRoutes(deps: { authenticate: Authenticate; selection: GoalSelection }) {
  return new Elysia({ prefix: '/v1/challenges/:challengeId/goals' })
    .derive(async ({ request }) => ({ userId: (await deps.authenticate(request.headers)).userId }))
    .post(
      '/batch-select',
      ({ userId, params, body }) =>
        deps.selection.batchSelect(userId, params.challengeId, {
          goalIds: body.goalIds ?? body.goal_ids ?? [],
          replaceExisting: body.replaceExisting ?? body.replace_existing ?? false,
        }),
      {
        params: ChallengeParams,
        body: BatchSelectBody,
        detail: {
          summary: 'Activate the listed goals for the caller',
          description:
            'Body `{"goalIds": [...], "replaceExisting": bool}` (or `goal_ids`, `replace_existing`). Every id is checked first: an unknown id, or one of another challenge, is 404 and nothing changes. Progress of every goal is kept.',
          tags: ['goals'],
          security,
          requestBody: DOCUMENTED_BODIES.batchSelect,
          responses: documented(GoalSelectionResponse, [400, 401, 404, 503]),
        },
      },
    )
    .post(
      '/random-select',
      ({ userId, params, body }) =>
        deps.selection.randomSelect(userId, params.challengeId, {
          count: body.count ?? 0,
          replaceExisting: body.replaceExisting ?? body.replace_existing ?? false,
          excludeActive: body.excludeActive ?? body.exclude_active ?? false,
        }),
      {
        params: ChallengeParams,
        body: RandomSelectBody,
        detail: {
          summary: 'Activate up to `count` random goals for the caller',
          description:
            'Body `{"count": n, "replaceExisting": bool, "excludeActive": bool}` (or snake_case). Draws from the goals that are not completed or claimed, whose prerequisites are done, and (with either flag) not active. An empty pool is 400 INSUFFICIENT_GOALS; a smaller one gives fewer goals.',
          tags: ['goals'],
          security,
          requestBody: DOCUMENTED_BODIES.randomSelect,
          responses: documented(GoalSelectionResponse, [400, 401, 404, 503]),
        },
      },
    );
}
