import { Elysia, t } from 'elysia';
import type { AuthorizeAdmin } from '../../auth/index.ts';
import type { AdminPlayers } from '../../services/admin/admin-players.ts';
import { limitParam } from '../limit-param.ts';
import {
  AdminChallengesResponse,
  AdminClaimResponse,
  AdminEventsQuery,
  AdminEventsResponse,
  DeleteUserDataResponse,
  documented,
  GoalChangeResponse,
  SET_PROGRESS_BODY,
  SetProgressBody,
  ADMIN_SECURITY as security,
} from '../schemas.ts';

const UserParams = t.Object({ userId: t.String() });
const GoalParams = t.Object({ userId: t.String(), goalId: t.String() });

/** Errors every goal change can answer: bad ids, auth, unknown goal, claimed goal (set, complete). */
const CHANGE_ERRORS = [400, 401, 403, 404, 409, 503];

/**
 * One player's data, for operators. Each route checks the admin permission with its own action
 * (reads READ, changes and claims UPDATE, erasure DELETE) before anything else. `admin` comes
 * bounded by the request deadline (claims by the claim deadline, see app.ts).
 */
export function adminPlayerRoutes(deps: { authorizeAdmin: AuthorizeAdmin; admin: AdminPlayers }) {
  const { authorizeAdmin, admin } = deps;
  const adminOf = async (request: Request, action: Parameters<AuthorizeAdmin>[1]) =>
    (await authorizeAdmin(request.headers, action)).adminUserId;
  return new Elysia({ prefix: '/v1/admin/users/:userId' })
    .get(
      '/challenges',
      async ({ request, params }) => admin.challenges(await adminOf(request, 'READ'), params.userId),
      {
        params: UserParams,
        detail: {
          summary: "A player's challenges as they see them, with the stored row of each goal",
          description:
            'The same view as `GET /v1/challenges` for the player, each goal with `stored` (null without a row): baseline, period, per-day marker, event time, timestamps. Recorded in the audit trail as `view_challenges`.',
          tags: ['admin'],
          security,
          responses: documented(AdminChallengesResponse, [400, 401, 403, 503]),
        },
      },
    )
    .get(
      '/events',
      async ({ request, params, query }) =>
        admin.events(await adminOf(request, 'READ'), params.userId, {
          goalId: query.goalId,
          limit: limitParam(query.limit),
        }),
      {
        params: UserParams,
        query: AdminEventsQuery,
        detail: {
          summary: "A player's audit trail, newest first",
          description:
            'What each event did to each goal it matched, or why it changed nothing, and every admin call about the player. `goalId` keeps entries about one goal (a goal no longer configured too). Recorded as `view_events`.',
          tags: ['admin'],
          security,
          responses: documented(AdminEventsResponse, [400, 401, 403, 503]),
        },
      },
    )
    .put(
      '/goals/:goalId/progress',
      async ({ request, params, body }) =>
        admin.setProgress(await adminOf(request, 'UPDATE'), params.userId, params.goalId, body.progress),
      {
        params: GoalParams,
        body: SetProgressBody,
        detail: {
          summary: "Set a goal's progress for a player",
          description:
            'Body `{"progress": n}`, what counts towards the target. The status follows it: completed at or over the target, not_started at 0, in_progress otherwise (so a value under the target un-completes an unclaimed goal). A claimed goal is 409 GOAL_ALREADY_CLAIMED: reset it first. A goal the player has no row for is assigned (active) first.',
          tags: ['admin'],
          security,
          requestBody: SET_PROGRESS_BODY,
          responses: documented(GoalChangeResponse, CHANGE_ERRORS),
        },
      },
    )
    .post(
      '/goals/:goalId/reset',
      async ({ request, params }) =>
        admin.reset(await adminOf(request, 'UPDATE'), params.userId, params.goalId),
      {
        params: GoalParams,
        detail: {
          summary: 'Reset a goal to not_started for a player',
          description:
            'Progress 0, no completion, claim, baseline or per-day marker. A claimed goal can be earned and claimed once more (a new earning in the claims ledger). Without a row nothing changes (`goal_not_assigned`).',
          tags: ['admin'],
          security,
          responses: documented(GoalChangeResponse, [400, 401, 403, 404, 503]),
        },
      },
    )
    .post(
      '/goals/:goalId/complete',
      async ({ request, params }) =>
        admin.complete(await adminOf(request, 'UPDATE'), params.userId, params.goalId),
      {
        params: GoalParams,
        detail: {
          summary: 'Force-complete a goal for a player',
          description:
            'Completed now, progress raised to the target. Already completed: unchanged (`already_completed`); claimed: 409. A goal without a row is assigned (active) first.',
          tags: ['admin'],
          security,
          responses: documented(GoalChangeResponse, CHANGE_ERRORS),
        },
      },
    )
    .post(
      '/goals/:goalId/claim',
      async ({ request, params }) =>
        admin.claim(await adminOf(request, 'UPDATE'), params.userId, params.goalId),
      {
        params: GoalParams,
        detail: {
          summary: "Claim a goal's reward on the player's behalf",
          description:
            "The player's own claim: the same rules (active, not claimed, completed, prerequisites) and the same exactly-once grant. A failed grant is 502 and the goal stays claimable.",
          tags: ['admin'],
          security,
          responses: documented(AdminClaimResponse, [400, 401, 403, 404, 409, 502, 503]),
        },
      },
    )
    .delete('', async ({ request, params }) => admin.erase(await adminOf(request, 'DELETE'), params.userId), {
      params: UserParams,
      detail: {
        summary: 'Erase everything stored for a player',
        description:
          "As the player's own `DELETE /v1/users/me/data`, without its rate limit: progress rows, claims ledger, processed event ids and audit trail. The erasure is logged with the admin's and the player's id, since the trail it would be recorded in is erased.",
        tags: ['admin'],
        security,
        responses: documented(DeleteUserDataResponse, [400, 401, 403, 503]),
      },
    });
}
