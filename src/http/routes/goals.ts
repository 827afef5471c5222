import { Elysia, t } from 'elysia';
import type { Authenticate } from '../../auth/index.ts';
import { invalidRequest } from '../../domain/errors.ts';
import type { ClaimReward } from '../../services/claim-reward.ts';
import type { GoalAssignment } from '../../services/goal-assignment.ts';
import {
  ClaimResponse,
  DOCUMENTED_BODIES,
  documented,
  SetActiveBody,
  SetActiveResponse,
  PLAYER_SECURITY as security,
} from '../schemas.ts';

const GoalParams = t.Object({ challengeId: t.String(), goalId: t.String() });

/** `assignment` and `claimReward` come bounded by their deadlines (see app.ts). */
export function goalRoutes(deps: {
  authenticate: Authenticate;
  assignment: GoalAssignment;
  claimReward: ClaimReward;
}) {
  return new Elysia({ prefix: '/v1/challenges/:challengeId/goals/:goalId' })
    .derive(async ({ request }) => ({ userId: (await deps.authenticate(request.headers)).userId }))
    .put(
      '/active',
      ({ userId, params, body }) => {
        const isActive = body.isActive ?? body.is_active;
        if (isActive === undefined) throw invalidRequest('Request body needs "isActive": true or false');
        return deps.assignment.setActive(userId, params.challengeId, params.goalId, isActive);
      },
      {
        params: GoalParams,
        body: SetActiveBody,
        detail: {
          summary: 'Activate or deactivate a goal for the caller',
          description: 'Body `{"isActive": bool}` (or `is_active`). Activation keeps earlier progress.',
          tags: ['goals'],
          security,
          requestBody: DOCUMENTED_BODIES.setActive,
          responses: documented(SetActiveResponse, [400, 401, 404, 503]),
        },
      },
    )
    .post('/claim', ({ userId, params }) => deps.claimReward(userId, params.challengeId, params.goalId), {
      params: GoalParams,
      detail: {
        summary: "Claim a completed goal's reward",
        description:
          'Rules in order: goal exists (404), active (400 GOAL_NOT_ACTIVE), not claimed (409), completed (400), prerequisites done (400). A failed grant → 502 and the goal stays claimable.',
        tags: ['goals'],
        security,
        responses: documented(ClaimResponse, [400, 401, 404, 409, 502, 503]),
      },
    });
}
