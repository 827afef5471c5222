import { invalidRequest, payloadTooLarge } from '../domain/errors.ts';

export const MAX_BODY_BYTES = 64 * 1024;
/** Bun's own limit, above which it answers a bare 413 before any handler runs. */
export const MAX_ACCEPTED_BODY_BYTES = MAX_BODY_BYTES * 4;

/** Rejects a declared body over the limit before anything is read. */
export function checkDeclaredLength(request: Request): void {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > MAX_BODY_BYTES) throw payloadTooLarge(MAX_BODY_BYTES);
}

/**
 * Reads a JSON body with the size limit also enforced on what actually arrives (chunked bodies
 * declare no length). An empty body reads as `{}`: clients of the original send none on claim.
 */
export async function readJsonBody(request: Request): Promise<unknown> {
  checkDeclaredLength(request);
  const bytes = await request.arrayBuffer();
  if (bytes.byteLength > MAX_BODY_BYTES) throw payloadTooLarge(MAX_BODY_BYTES);
  if (bytes.byteLength === 0) return {};
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw invalidRequest('Request body is not valid JSON');
  }
}
