/**
 * Every query parameter of this API holds one value. Given twice (`?active_only=true&active_only=false`)
 * one of the two would be taken without a word, so a request that repeats a parameter is refused,
 * as the original's gateway refuses a repeated value for a field that is not a list.
 */
import { echoed, invalidRequest } from '../domain/errors.ts';

export function rejectRepeatedQueryParams(url: string): void {
  const start = url.indexOf('?');
  if (start < 0) return;
  const seen = new Set<string>();
  for (const key of new URLSearchParams(url.slice(start + 1)).keys()) {
    if (seen.has(key)) throw invalidRequest(`Query parameter '${echoed(key)}' is given more than once`);
    seen.add(key);
  }
}
