import { Elysia } from 'elysia';
import type { AuthorizeAdmin } from '../../auth/index.ts';
import type { ConfigAdmin } from '../../live-config/config-admin.ts';
import {
  ConfigApplyResponse,
  ConfigResponse,
  ConfigValidationResponse,
  documented,
  ADMIN_SECURITY as security,
} from '../schemas.ts';

const candidateBody = {
  required: true,
  content: {
    'application/json': {
      schema: {
        type: 'object' as const,
        additionalProperties: true,
        description: 'A whole challenge configuration, in the format of CHALLENGE_CONFIG_PATH (up to 8 MiB)',
      },
    },
  },
};

/** `configAdmin` comes bounded by the request deadline (see app.ts). */
export function adminConfigRoutes(deps: { authorizeAdmin: AuthorizeAdmin; configAdmin: ConfigAdmin }) {
  return new Elysia({ prefix: '/v1/admin/config' })
    .get(
      '',
      async ({ request }) => {
        await deps.authorizeAdmin(request.headers, 'READ');
        return deps.configAdmin.get();
      },
      {
        detail: {
          summary: 'The challenge configuration in force, with its version and history',
          tags: ['admin'],
          security,
          responses: documented(ConfigResponse, [401, 403, 503]),
        },
      },
    )
    .post(
      '/validate',
      async ({ request, body }) => {
        await deps.authorizeAdmin(request.headers, 'READ');
        return deps.configAdmin.validate(body);
      },
      {
        detail: {
          summary: 'What applying a configuration would change',
          description:
            'Answers `valid: false` with the first problem and its JSON path, as start-up reports it; or the diff against the configuration in force, with, for each removed or retargeted goal, how many players have rows, are in progress, and completed without claiming. Changes nothing.',
          tags: ['admin'],
          security,
          requestBody: candidateBody,
          responses: documented(ConfigValidationResponse, [400, 401, 403, 503]),
        },
      },
    )
    .put(
      '',
      async ({ request, body }) => {
        const { adminUserId } = await deps.authorizeAdmin(request.headers, 'UPDATE');
        return deps.configAdmin.apply(body, adminUserId);
      },
      {
        detail: {
          summary: 'Apply a challenge configuration',
          description:
            'Validated (400 INVALID_REQUEST naming the path otherwise), stored with its history, and in force at every replica and event worker within seconds (CONFIG_POLL_INTERVAL_MS), with no restart. Each event flush applies one configuration throughout. Rows of removed goals are kept but hidden and unclaimable; retargeted goals are not re-evaluated until their next event (see README "Live configuration").',
          tags: ['admin'],
          security,
          requestBody: candidateBody,
          responses: documented(ConfigApplyResponse, [400, 401, 403, 413, 503]),
        },
      },
    );
}
