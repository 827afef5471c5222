import { Elysia, t } from 'elysia';
import type { Authenticate } from '../../auth/index.ts';
import type { RotationStatus } from '../../services/rotation-status.ts';
import { documented, PLAYER_SECURITY, RotationStatusResponse } from '../schemas.ts';

/** `rotation` comes bounded by the request deadline (see app.ts). */
export function rotationRoutes(deps: { authenticate: Authenticate; rotation: RotationStatus }) {
  return new Elysia({ prefix: '/v1/challenges' })
    .derive(async ({ request }) => ({ userId: (await deps.authenticate(request.headers)).userId }))
    .get('/:challengeId/rotation', ({ params }) => deps.rotation.getRotation(params.challengeId), {
      params: t.Object({ challengeId: t.String() }),
      detail: {
        summary: "A challenge's rotation schedule: current and next period",
        description:
          "From the challenge's first rotating goal (periods are global, in UTC); `enabled: false` with null periods when no goal rotates.",
        tags: ['challenges'],
        security: PLAYER_SECURITY,
        responses: documented(RotationStatusResponse, [401, 404, 503]),
      },
    });
}
