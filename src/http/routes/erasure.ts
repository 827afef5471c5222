import { Elysia } from 'elysia';
import type { Authenticate } from '../../auth/index.ts';
import { rateLimited } from '../../domain/errors.ts';
import type { PlayerErasure } from '../../services/erasure.ts';
import { DeleteUserDataResponse, documented, PLAYER_SECURITY } from '../schemas.ts';
import type { UserRateLimit } from '../user-rate-limit.ts';

export const ERASURE_WINDOW_SECONDS = 60;

/** `erasure` comes bounded by the request deadline (see app.ts); `limit` allows one call per window. */
export function erasureRoutes(deps: {
  authenticate: Authenticate;
  erasure: PlayerErasure;
  limit: UserRateLimit;
}) {
  return new Elysia({ prefix: '/v1/users/me' })
    .derive(async ({ request }) => ({ userId: (await deps.authenticate(request.headers)).userId }))
    .delete(
      '/data',
      async ({ userId }) => {
        const retryAfter = deps.limit.take(userId);
        if (retryAfter > 0) throw rateLimited('Data deletion', ERASURE_WINDOW_SECONDS, retryAfter);
        try {
          const erased = await deps.erasure.erasePlayer(userId);
          // int64 in the original's proto, which grpc-gateway writes as a JSON string.
          return { userId, rowsDeleted: String(erased.progressRows) };
        } catch (error) {
          // Nothing was erased (or an erasure is idempotent anyway): let the player retry at once.
          deps.limit.release(userId);
          throw error;
        }
      },
      {
        detail: {
          summary: "Delete all of the caller's data",
          description:
            "Removes the caller's progress rows, claims ledger entries and processed event ids in one transaction. `rowsDeleted` counts progress rows (a string, as the original's int64). Once per minute per user and service process; sooner is 429 RESOURCE_EXHAUSTED with Retry-After.",
          tags: ['users'],
          security: PLAYER_SECURITY,
          responses: documented(DeleteUserDataResponse, [400, 401, 429, 503]),
        },
      },
    );
}
