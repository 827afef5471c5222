/**
 * JSON answers that clients poll (`GET /v1/challenges`, ~190 KB for the original's 500-goal
 * workload): an ETag so an unchanged answer costs a 304 with no body (and is not even rendered),
 * and gzip when the client accepts it. The ETag is weak (`W/`): it names the JSON, whichever
 * encoding carries it.
 */
import type { ChallengeAnswer, HeldAnswer } from '../services/challenge-queries.ts';

/** Below this, compression saves less than its headers and CPU cost. */
const MIN_GZIP_BYTES = 1024;
/** Level 1: most of the size saved for a fraction of the CPU of the default level (see loadtest/RESULTS.md). */
const GZIP_LEVEL = 1;

export interface ConditionalJsonOptions {
  readonly gzip: boolean;
}

type Set = { headers: Record<string, unknown>; status?: number | string };

/** Whether `If-None-Match` names `etag` (weak comparison; `*` matches any). */
function matches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  const wanted = etag.slice(2);
  return ifNoneMatch.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed === etag || trimmed === wanted;
  });
}

const acceptsGzip = (acceptEncoding: string | null): boolean =>
  (acceptEncoding ?? '').split(',').some((coding) => {
    const [name, ...params] = coding.trim().toLowerCase().split(';');
    return name === 'gzip' && !params.some((param) => /^\s*q=0(\.0*)?\s*$/.test(param));
  });

const etagOf = (tag: string): string => `W/"${tag}"`;

/** Which answers the client holds: those its `If-None-Match` names. */
export const heldBy =
  (request: Request): HeldAnswer =>
  (tag) =>
    matches(request.headers.get('if-none-match'), etagOf(tag));

/**
 * The body for a JSON answer: '' with 304 when the client holds it already, gzip bytes when the
 * client accepts them, else the text; a large body comes as a Response that writes it in one piece
 * (below). Sets the headers that go with each. A small body is returned as it is, so that Elysia
 * builds the only Response with the request's other headers (x-request-id): a returned Response is
 * copied into a new one with merged headers.
 */
export function conditionalJson(
  request: Request,
  set: Set,
  answer: ChallengeAnswer,
  options: ConditionalJsonOptions,
): string | Uint8Array | Response {
  set.headers['etag'] = etagOf(answer.tag);
  set.headers['cache-control'] = 'private, no-cache';
  set.headers['vary'] = 'Accept-Encoding';
  const body = answer.json;
  if (body === undefined) {
    set.status = 304;
    return '';
  }
  set.headers['content-type'] = 'application/json';
  if (options.gzip && body.length >= MIN_GZIP_BYTES && acceptsGzip(request.headers.get('accept-encoding'))) {
    set.headers['content-encoding'] = 'gzip';
    return inOnePiece(Bun.gzipSync(body, { level: GZIP_LEVEL }));
  }
  return inOnePiece(body);
}

/**
 * From about this size, Bun 1.4.4 serves a body answered after an `await` (as every list is, after
 * its read) an order of magnitude slower than one answered at once: on this project's machine a
 * bare server answered ~7,000/s at 16 KB and at 190 KB, against 83,000/s and 28,000/s through a
 * direct stream (see loadtest/RESULTS.md). Below it, the plain body is ~10 % faster.
 */
const ONE_PIECE_MIN_BYTES = 16 * 1024;

/**
 * Such an answer's headers go out a write per line and the body after them (oven-sh/bun#41341);
 * a direct stream's body is written with the headers in one write, chunked.
 */
function inOnePiece(body: string | Uint8Array): string | Uint8Array | Response {
  const bytes = typeof body === 'string' ? body.length : body.byteLength;
  if (bytes < ONE_PIECE_MIN_BYTES) return body;
  return new Response(
    new ReadableStream({
      type: 'direct',
      pull(controller) {
        controller.write(body);
        controller.close();
      },
    }),
  );
}
