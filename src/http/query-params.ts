/**
 * Each query parameter of this API holds one value. Given twice (`?active_only=true&active_only=false`)
 * one of the two would be taken without a word, so a request that repeats a parameter a route
 * reads is refused, as the original's gateway refuses a repeated value for a field that is not a
 * list. Parameters no route reads are ignored, repeated or not, as there.
 */
import { echoed, invalidRequest } from '../domain/errors.ts';

/** What the checker needs of a registered route: the query schema's properties, if it has one. */
export interface RouteWithQuery {
  readonly hooks?: { readonly query?: { readonly properties?: Readonly<Record<string, unknown>> } };
}

export function createRepeatedParamCheck(routes: () => readonly RouteWithQuery[]): (url: string) => void {
  // Built on the first request with a query string, when every route is registered.
  let known: ReadonlySet<string> | undefined;
  return (url) => {
    const start = url.indexOf('?');
    if (start < 0) return;
    known ??= new Set(routes().flatMap((route) => Object.keys(route.hooks?.query?.properties ?? {})));
    const seen = new Set<string>();
    for (const key of new URLSearchParams(url.slice(start + 1)).keys()) {
      if (!known.has(key)) continue;
      if (seen.has(key)) throw invalidRequest(`Query parameter '${echoed(key)}' is given more than once`);
      seen.add(key);
    }
  };
}
