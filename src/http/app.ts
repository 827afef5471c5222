/**
 * The HTTP API as an Elysia app. Built here, never listening here: main.ts listens, tests call
 * `app.handle(request)`. Routes are thin adapters over the services.
 */
import { Elysia } from 'elysia';
import type { Authenticate, AuthorizeAdmin } from '../auth/index.ts';
import { isDatabaseUnavailable } from '../db/db-errors.ts';
import { AppError, methodNotAllowed, routeNotFound } from '../domain/errors.ts';
import type { ConfigAdmin } from '../live-config/config-admin.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { OutboxAdmin } from '../outbox/outbox-admin.ts';
import type { AdminPlayers } from '../services/admin/admin-players.ts';
import type { AuditTrail } from '../services/audit-trail.ts';
import type { ChallengeQueries } from '../services/challenge-queries.ts';
import type { ClaimReward } from '../services/claim-reward.ts';
import type { PlayerErasure } from '../services/erasure.ts';
import type { GoalAssignment } from '../services/goal-assignment.ts';
import type { GoalSelection } from '../services/goal-selection.ts';
import type { RotationStatus } from '../services/rotation-status.ts';
import type { StreamHub } from '../stream/stream-hub.ts';
import { type AllowedMethods, createAllowedMethods } from './allowed-methods.ts';
import { bounded, boundedService } from './deadline.ts';
import { asAppError, errorResponse, internalError, validationError } from './error-response.ts';
import { openApiDocs, type RouteLike } from './openapi.ts';
import { createRepeatedParamCheck, type RouteWithQuery } from './query-params.ts';
import { bodyLimitFor, checkDeclaredLength, MAX_BODY_BYTES, readJsonBody } from './request-body.ts';
import { adminConfigRoutes } from './routes/admin-config.ts';
import { adminOutboxRoutes } from './routes/admin-outbox.ts';
import { adminPlayerRoutes } from './routes/admin-players.ts';
import { challengeRoutes } from './routes/challenges.ts';
import { ERASURE_WINDOW_SECONDS, erasureRoutes } from './routes/erasure.ts';
import { goalHistoryRoutes } from './routes/goal-history.ts';
import { goalSelectionRoutes } from './routes/goal-selection.ts';
import { goalRoutes } from './routes/goals.ts';
import { operationRoutes } from './routes/operations.ts';
import { rotationRoutes } from './routes/rotation.ts';
import { streamRoutes } from './routes/stream.ts';
import { createUserRateLimit } from './user-rate-limit.ts';

export interface AppDeps {
  readonly basePath: string;
  readonly authenticate: Authenticate;
  readonly queries: ChallengeQueries;
  readonly assignment: GoalAssignment;
  readonly selection: GoalSelection;
  readonly claimReward: ClaimReward;
  readonly rotation: RotationStatus;
  readonly erasure: PlayerErasure;
  /** Compress challenge lists for clients that accept gzip (HTTP_GZIP; on by default). */
  readonly gzip?: boolean;
  /** Admin routes: the caller must hold the admin permission for the route's action. */
  readonly authorizeAdmin: AuthorizeAdmin;
  readonly configAdmin: ConfigAdmin;
  readonly adminPlayers: AdminPlayers;
  readonly auditTrail: AuditTrail;
  /** Parked webhook notifications and their redelivery. */
  readonly outboxAdmin: OutboxAdmin;
  /** Live event streams; only their opening is bounded by the request deadline. */
  readonly streams: StreamHub;
  /** The time rate limits are counted on; the wall clock when left out. */
  readonly clock?: () => Date;
  /** Resolves when the database answers; rejects (or times out) otherwise. */
  readonly checkDatabase: () => Promise<void>;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Longest a request may take before it is answered UNAVAILABLE (claims add the reward budget). */
  readonly requestTimeoutMs?: number;
  readonly claimTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** How a validation error names the part of the request that failed, by Elysia's name for it. */
const VALIDATED_PART: Readonly<Record<string, string>> = {
  body: 'request body',
  query: 'query',
  params: 'path',
  headers: 'headers',
  cookie: 'cookie',
};

interface RequestMeta {
  readonly id: string;
  readonly startedAt: number;
}

export function createApp(deps: AppDeps) {
  const { logger, metrics } = deps;
  const requestTimeoutMs = deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const claimTimeoutMs = deps.claimTimeoutMs ?? requestTimeoutMs * 2;
  // Per-request facts kept beside the request, so error and after-response hooks see them even
  // when a request fails before any handler runs.
  const meta = new WeakMap<Request, RequestMeta>();
  const requestIdOf = (request: Request) => meta.get(request)?.id ?? 'unknown';
  // Routes see only bounded services: every call that may wait on the database is answered
  // UNAVAILABLE by the deadline, whichever route makes it.
  const services = {
    queries: boundedService(deps.queries, requestTimeoutMs),
    assignment: boundedService(deps.assignment, requestTimeoutMs),
    selection: boundedService(deps.selection, requestTimeoutMs),
    claimReward: bounded(deps.claimReward, claimTimeoutMs),
    rotation: boundedService(deps.rotation, requestTimeoutMs),
    erasure: boundedService(deps.erasure, requestTimeoutMs),
    configAdmin: boundedService(deps.configAdmin, requestTimeoutMs),
    auditTrail: boundedService(deps.auditTrail, requestTimeoutMs),
    outboxAdmin: boundedService(deps.outboxAdmin, requestTimeoutMs),
  };
  // A claim on a player's behalf is a claim: it gets the claim deadline.
  const admin: AdminPlayers = {
    ...boundedService(deps.adminPlayers, requestTimeoutMs),
    claim: bounded(deps.adminPlayers.claim.bind(deps.adminPlayers), claimTimeoutMs),
  };
  const erasureLimit = createUserRateLimit({
    windowMs: ERASURE_WINDOW_SECONDS * 1000,
    maxUsers: 100_000,
    clock: deps.clock ?? (() => new Date()),
  });
  // Built on the first miss, when every route is registered.
  let allowedMethods: AllowedMethods | undefined;
  const allowedOn = (pathname: string): readonly string[] => {
    allowedMethods ??= createAllowedMethods(app.routes);
    return allowedMethods(pathname);
  };
  const registeredRoutes = (): readonly RouteLike[] => app.routes;
  const rejectRepeatedQueryParams = createRepeatedParamCheck(() => app.routes as readonly RouteWithQuery[]);

  const app = new Elysia({ prefix: deps.basePath })
    .onRequest(({ request, set }) => {
      const incoming = request.headers.get('x-request-id');
      const id = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
      meta.set(request, { id, startedAt: performance.now() });
      set.headers['x-request-id'] = id;
      checkDeclaredLength(request, bodyLimitFor(request));
    })
    .onParse(async ({ request }) => {
      const limit = bodyLimitFor(request);
      // A configuration's larger body is read only for a caller allowed to send one.
      if (limit > MAX_BODY_BYTES)
        await deps.authorizeAdmin(request.headers, request.method === 'PUT' ? 'UPDATE' : 'READ');
      return readJsonBody(request, limit);
    })
    .onBeforeHandle({ as: 'global' }, ({ request, route }) =>
      rejectRepeatedQueryParams(request.method, route, request.url),
    )
    .onError(({ code, error, request, path, set }) => {
      const requestId = requestIdOf(request);
      let appError = asAppError(error);
      let headers: Record<string, string> = {};
      if (!appError && code === 'NOT_FOUND') {
        const pathname = new URL(request.url).pathname;
        const allowed = allowedOn(pathname);
        if (allowed.length === 0) appError = routeNotFound(request.method, pathname);
        else {
          appError = methodNotAllowed(request.method, pathname, allowed);
          headers = { allow: allowed.join(', ') };
        }
      }
      if (!appError && code === 'VALIDATION' && 'all' in error) {
        const issues = error.all.map((issue) => ({
          path: 'path' in issue ? String(issue.path) : '',
          message: 'summary' in issue && issue.summary ? String(issue.summary) : String(issue.message),
        }));
        appError = validationError(VALIDATED_PART[error.type] ?? 'request', issues);
      }
      // Elysia wraps whatever the parse hook throws (413, invalid JSON) in its own ParseError.
      if (!appError && isDatabaseUnavailable(error)) {
        logger.warn({ requestId, path, reason: String(error) }, 'database unavailable');
        appError = new AppError('UNAVAILABLE', 'The database is unavailable; retry later');
      }
      if (!appError && code === 'PARSE')
        appError =
          asAppError(error.cause) ?? new AppError('INVALID_REQUEST', 'Request body is not valid JSON');
      if (appError?.retryAfterSeconds !== undefined)
        headers['retry-after'] = String(appError.retryAfterSeconds);
      if (!appError) {
        logger.error({ err: error, requestId, method: request.method, path }, 'unexpected error');
        appError = internalError();
      } else if (appError.code === 'UNAUTHENTICATED') {
        logger.debug({ requestId, path }, 'unauthenticated request');
      }
      const response = errorResponse(appError, requestId, headers);
      set.status = response.status;
      return response;
    })
    .onAfterResponse(({ request, route, set, responseValue }) => {
      const started = meta.get(request)?.startedAt;
      const status = responseValue instanceof Response ? responseValue.status : Number(set.status ?? 200);
      const labels = { method: request.method, route: route || 'unmatched', status: String(status) };
      metrics.httpRequests.inc(labels);
      if (started !== undefined) {
        const seconds = (performance.now() - started) / 1000;
        metrics.httpDuration.observe(labels, seconds);
        logger.debug({ requestId: requestIdOf(request), ...labels, ms: seconds * 1000 }, 'request');
      }
    })
    .use(openApiDocs(registeredRoutes))
    .use(operationRoutes(deps))
    .use(challengeRoutes({ authenticate: deps.authenticate, ...services, gzip: deps.gzip ?? true }))
    .use(
      streamRoutes({
        authenticate: deps.authenticate,
        streams: deps.streams,
        openTimeoutMs: requestTimeoutMs,
      }),
    )
    .use(goalRoutes({ authenticate: deps.authenticate, ...services }))
    .use(rotationRoutes({ authenticate: deps.authenticate, ...services }))
    .use(goalSelectionRoutes({ authenticate: deps.authenticate, ...services }))
    .use(erasureRoutes({ authenticate: deps.authenticate, ...services, limit: erasureLimit }))
    .use(adminConfigRoutes({ authorizeAdmin: deps.authorizeAdmin, ...services }))
    .use(goalHistoryRoutes({ authenticate: deps.authenticate, ...services }))
    .use(adminPlayerRoutes({ authorizeAdmin: deps.authorizeAdmin, admin }))
    .use(adminOutboxRoutes({ authorizeAdmin: deps.authorizeAdmin, ...services }));
  return app;
}

export type App = ReturnType<typeof createApp>;
