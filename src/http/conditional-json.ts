/**
 * JSON answers that clients poll (`GET /v1/challenges`, ~190 KB for the original's 500-goal
 * workload): an ETag so an unchanged answer costs a 304 with no body, and gzip when the client
 * accepts it. The ETag is weak (`W/`): it names the JSON, whichever encoding carries it.
 */

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

/**
 * The body for a JSON text answer: '' with 304 when the client holds it already, gzip bytes when
 * the client accepts them, else the text. Sets the headers that go with each. Returning the body,
 * not a Response, lets Elysia build the only Response with the request's other headers
 * (x-request-id): a returned Response would be copied into a new one with merged headers.
 */
export function conditionalJson(
  request: Request,
  set: Set,
  body: string,
  options: ConditionalJsonOptions,
): string | Uint8Array {
  const etag = `W/"${Bun.hash(body).toString(36)}"`;
  set.headers['etag'] = etag;
  set.headers['cache-control'] = 'private, no-cache';
  set.headers['vary'] = 'Accept-Encoding';
  if (matches(request.headers.get('if-none-match'), etag)) {
    set.status = 304;
    return '';
  }
  set.headers['content-type'] = 'application/json';
  if (options.gzip && body.length >= MIN_GZIP_BYTES && acceptsGzip(request.headers.get('accept-encoding'))) {
    set.headers['content-encoding'] = 'gzip';
    return Bun.gzipSync(body, { level: GZIP_LEVEL });
  }
  return body;
}
