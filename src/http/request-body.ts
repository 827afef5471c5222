import { invalidRequest, payloadTooLarge } from '../domain/errors.ts';

export const MAX_BODY_BYTES = 64 * 1024;
/** A whole challenge configuration (PUT /v1/admin/config): the original's 500-goal file is ~200 KB. */
export const MAX_CONFIG_BODY_BYTES = 8 * 1024 * 1024;

const CONFIG_ROUTE = /\/v1\/admin\/config(\/validate)?\/?$/;

/**
 * The body limit of a request: configuration uploads get their own, every other route 64 KiB.
 * Runs for every request, so the URL is parsed only when it may be a configuration route.
 */
export const bodyLimitFor = (request: Request): number =>
  request.url.includes('/v1/admin/config') && CONFIG_ROUTE.test(new URL(request.url).pathname)
    ? MAX_CONFIG_BODY_BYTES
    : MAX_BODY_BYTES;

/**
 * Bun's own limit (`maxRequestBodySize`), lifted so that every oversized body gets our JSON 413:
 * above its limit Bun answers a declared length with a bare 413 before any handler runs, and cuts
 * the connection once a chunked body passes it. The checks below enforce MAX_BODY_BYTES without
 * buffering, and Bun discards a body no handler reads, so the lifted limit holds no memory.
 */
export const MAX_ACCEPTED_BODY_BYTES = Number.MAX_SAFE_INTEGER;

/** Rejects a declared body over the limit before anything is read. */
export function checkDeclaredLength(request: Request, limit = MAX_BODY_BYTES): void {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw payloadTooLarge(limit);
}

/**
 * Reads a JSON body with the size limit also enforced on what actually arrives (chunked bodies
 * declare no length). An empty body reads as `{}`: clients of the original send none on claim.
 */
export async function readJsonBody(request: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  checkDeclaredLength(request, limit);
  const bytes = await readAtMost(request.body, limit);
  if (bytes.byteLength === 0) return {};
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw invalidRequest('Request body is not valid JSON');
  }
}

/**
 * Reads the stream chunk by chunk and gives up as soon as it passes `limit`, so an endless body
 * costs at most one chunk over the limit.
 */
async function readAtMost(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Not awaited: the answer does not depend on how the sender takes the cancellation.
      reader.cancel().catch(() => {});
      throw payloadTooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
