import { Elysia, t } from 'elysia';
import type { Authenticate } from '../../auth/index.ts';
import type { AuditTrail } from '../../services/audit-trail.ts';
import { limitParam } from '../limit-param.ts';
import { AuditLimitQuery, documented, GoalHistoryResponse, PLAYER_SECURITY as security } from '../schemas.ts';

/** The caller's own audit trail for one goal. `auditTrail` comes bounded by the request deadline. */
export function goalHistoryRoutes(deps: { authenticate: Authenticate; auditTrail: AuditTrail }) {
  return new Elysia({ prefix: '/v1/challenges/:challengeId/goals/:goalId' })
    .derive(async ({ request }) => ({ userId: (await deps.authenticate(request.headers)).userId }))
    .get(
      '/history',
      ({ userId, params, query }) =>
        deps.auditTrail.goalHistory(userId, params.challengeId, params.goalId, limitParam(query.limit)),
      {
        params: t.Object({ challengeId: t.String(), goalId: t.String() }),
        query: AuditLimitQuery,
        detail: {
          summary: "The caller's history of one goal, newest first",
          description:
            'Every event that matched the goal, what it did or why it did not count, and changes an admin made (without naming the admin).',
          tags: ['goals'],
          security,
          responses: documented(GoalHistoryResponse, [400, 401, 404, 503]),
        },
      },
    );
}
