import { Elysia } from 'elysia';
import { AppError } from '../../domain/errors.ts';
import type { Metrics } from '../../metrics.ts';
import { withDeadline } from '../deadline.ts';
import { documented, ErrorBody, HealthResponse } from '../schemas.ts';

const HEALTH_TIMEOUT_MS = 2_000;

export function operationRoutes(deps: { checkDatabase: () => Promise<void>; metrics: Metrics }) {
  return new Elysia()
    .get(
      '/healthz',
      async () => {
        try {
          await withDeadline(deps.checkDatabase(), HEALTH_TIMEOUT_MS);
        } catch (cause) {
          throw new AppError('UNAVAILABLE', 'database connectivity check failed', { cause });
        }
        return { status: 'healthy' };
      },
      {
        detail: {
          summary: 'Health check (no auth): 503 when PostgreSQL does not answer',
          tags: ['operations'],
          responses: documented(HealthResponse, [503]),
        },
      },
    )
    .get(
      '/metrics',
      async () =>
        new Response(await deps.metrics.render(), {
          headers: { 'content-type': deps.metrics.contentType },
        }),
      {
        detail: {
          summary: 'Prometheus metrics (no auth)',
          tags: ['operations'],
          responses: {
            ...documented(ErrorBody, []),
            200: {
              description: 'Prometheus text exposition format',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
    );
}
