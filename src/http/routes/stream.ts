/**
 * `GET /v1/challenges/stream`: the caller's live event stream (Server-Sent Events, see
 * src/stream/). Everything that can fail (the credential, Last-Event-ID, the first reads) fails
 * before the stream starts, as a JSON error; once it has started it runs until the client leaves,
 * the service shuts down, or the client stops reading.
 */
import { Elysia, t } from 'elysia';
import type { OpenAPIV3 } from 'openapi-types';
import type { Authenticate } from '../../auth/index.ts';
import { echoed, invalidRequest, unauthenticated } from '../../domain/errors.ts';
import { parseEventId } from '../../stream/event-id.ts';
import type { StreamHub } from '../../stream/stream-hub.ts';
import { withDeadline } from '../deadline.ts';
import { documented, STREAM_SECURITY as security } from '../schemas.ts';
import { parseActiveOnly } from './challenges.ts';

const StreamQuery = t.Object({
  access_token: t.Optional(t.String()),
  last_event_id: t.Optional(t.String()),
  active_only: t.Optional(t.String()),
});

const TOKEN_CHARS = /^[\x21-\x7e]+$/;

/**
 * Browsers' EventSource cannot send headers, so the token may come as `?access_token=`. The
 * Authorization header wins when both are present.
 */
function credentialsOf(headers: Headers, accessToken: string | undefined): Headers {
  if (!accessToken || headers.has('authorization')) return headers;
  // A token is printable ASCII; anything else could not go in a header, and is no token.
  if (!TOKEN_CHARS.test(accessToken)) throw unauthenticated('access_token is not a bearer token');
  const withToken = new Headers(headers);
  withToken.set('authorization', `Bearer ${accessToken}`);
  return withToken;
}

function resumePosition(text: string | null | undefined) {
  if (text === null || text === undefined || text.trim() === '') return undefined;
  const cursor = parseEventId(text);
  if (!cursor) {
    throw invalidRequest(
      `Last-Event-ID must be the id of an event this stream sent (digits-digits), got '${echoed(text)}'`,
    );
  }
  return cursor;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // nginx buffers proxied answers unless told not to.
  'x-accel-buffering': 'no',
};

export function streamRoutes(deps: {
  authenticate: Authenticate;
  streams: StreamHub;
  openTimeoutMs: number;
}) {
  return new Elysia({ prefix: '/v1/challenges' }).get(
    '/stream',
    async ({ request, query, server }) => {
      const { userId } = await deps.authenticate(credentialsOf(request.headers, query.access_token));
      const resumeFrom = resumePosition(request.headers.get('last-event-id') ?? query.last_event_id);
      const opening = deps.streams.open({
        userId,
        activeOnly: parseActiveOnly(query.active_only),
        resumeFrom,
      });
      const stream = await withDeadline(opening, deps.openTimeoutMs).catch((error: unknown) => {
        void opening.then(
          (late) => late.close(),
          () => {},
        );
        throw error;
      });
      // The server closes a connection quiet for its idle timeout (Elysia serves with 30 s), even
      // mid-response; heartbeats may be set further apart than that.
      server?.timeout(request, 0);
      request.signal.addEventListener('abort', () => stream.close(), { once: true });
      return new Response(stream.body, { headers: SSE_HEADERS });
    },
    {
      query: StreamQuery,
      detail: {
        summary: "The caller's live event stream (Server-Sent Events)",
        description:
          'A `snapshot` event (the list as `GET /v1/challenges` answers it), then one event per change of one of ' +
          "the caller's goals: `goal.completed`, `goal.claimed`, `goal.reset`, `goal.assigned`, `goal.unassigned` " +
          '(from the outbox, with an `id`) and `goal.progress` (progress that only moved, without an `id`). Each ' +
          'goal event\'s data is `{"type","challengeId","goalId","occurredAt","goal"}` with the goal as in the list. ' +
          'A comment line comes after STREAM_HEARTBEAT_MS without events. Reconnect with the last id received as `Last-Event-ID` ' +
          '(or `last_event_id`) to replay the outbox events after it. See the README, "Live event stream".',
        tags: ['challenges'],
        security,
        parameters: [
          {
            in: 'header',
            name: 'Last-Event-ID',
            schema: { type: 'string' },
            description: 'Resume after this event id (EventSource sends it when it reconnects)',
          },
          {
            in: 'query',
            name: 'last_event_id',
            schema: { type: 'string' },
            description:
              'The same as the Last-Event-ID header, for clients that cannot set it; the header wins',
          },
          {
            in: 'query',
            name: 'access_token',
            schema: { type: 'string' },
            description:
              'The bearer token, for browsers (EventSource cannot send headers); it ends up in proxy and access ' +
              'logs, so prefer short-lived tokens. The Authorization header wins when both are sent',
          },
          {
            in: 'query',
            name: 'active_only',
            schema: { type: 'string' },
            description: '"true": the snapshot lists only active goals (as in GET /v1/challenges)',
          },
        ] satisfies OpenAPIV3.ParameterObject[],
        responses: {
          ...documented(t.String(), [400, 401, 429, 503]),
          200: {
            description: 'The event stream; it stays open',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
        },
      },
    },
  );
}
