import { Elysia, t } from 'elysia';
import type { AuthorizeAdmin } from '../../auth/index.ts';
import type { OutboxAdmin } from '../../outbox/outbox-admin.ts';
import { limitParam } from '../limit-param.ts';
import {
  documented,
  ParkedMessagesQuery,
  ParkedMessagesResponse,
  RedeliverResponse,
  ADMIN_SECURITY as security,
} from '../schemas.ts';

/** Dead letters of the notification webhook. `outboxAdmin` comes bounded by the request deadline (see app.ts). */
export function adminOutboxRoutes(deps: { authorizeAdmin: AuthorizeAdmin; outboxAdmin: OutboxAdmin }) {
  const { authorizeAdmin, outboxAdmin } = deps;
  return new Elysia({ prefix: '/v1/admin/outbox' })
    .get(
      '/parked',
      async ({ request, query }) => {
        const { adminUserId } = await authorizeAdmin(request.headers, 'READ');
        return outboxAdmin.parked(adminUserId, { after: query.after, limit: limitParam(query.limit) });
      },
      {
        query: ParkedMessagesQuery,
        detail: {
          summary: 'Outbox messages the notification webhook never accepted (parked)',
          description:
            "A message is parked after NOTIFY_WEBHOOK_MAX_ATTEMPTS failed attempts, with the last error. A parked message does not hold back the player's later messages. Page with `after` (the last id of the previous page). Kept for OUTBOX_RETENTION_HOURS.",
          tags: ['admin'],
          security,
          responses: documented(ParkedMessagesResponse, [400, 401, 403, 503]),
        },
      },
    )
    .post(
      '/:id/redeliver',
      async ({ request, params }) => {
        const { adminUserId } = await authorizeAdmin(request.headers, 'UPDATE');
        return outboxAdmin.redeliver(adminUserId, params.id);
      },
      {
        params: t.Object({ id: t.String() }),
        detail: {
          summary: 'Send a parked outbox message to the notification webhook again',
          description:
            'Due at once, with its attempts counted afresh and the same id (idempotency key). It goes out on its own, so it arrives after messages of the player that were written later. A message that is not parked is answered as it is with `redelivered: false`.',
          tags: ['admin'],
          security,
          responses: documented(RedeliverResponse, [400, 401, 403, 404, 503]),
        },
      },
    );
}
