/**
 * Each query parameter of this API holds one value. Given twice (`?active_only=true&active_only=false`)
 * one of the two would be taken without a word, so a request that repeats a parameter its route
 * reads is refused, as the original's gateway refuses a repeated value for a field that is not a
 * list. Parameters the route does not read are ignored, repeated or not, as there.
 */
import { echoed, invalidRequest } from '../domain/errors.ts';

/** What the check needs of a registered route: its method, path and query schema's properties. */
export interface RouteWithQuery {
  readonly method: string;
  readonly path: string;
  readonly hooks?: { readonly query?: { readonly properties?: Readonly<Record<string, unknown>> } };
}

export function createRepeatedParamCheck(
  routes: () => readonly RouteWithQuery[],
): (method: string, route: string, url: string) => void {
  // Built on the first request with a query string, when every route is registered.
  let byRoute: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  return (method, route, url) => {
    const start = url.indexOf('?');
    if (start < 0) return;
    byRoute ??= new Map(
      routes().map((entry) => [
        `${entry.method.toUpperCase()} ${entry.path}`,
        new Set(Object.keys(entry.hooks?.query?.properties ?? {})),
      ]),
    );
    const read = byRoute.get(`${method.toUpperCase()} ${route}`);
    if (!read || read.size === 0) return;
    const seen = new Set<string>();
    for (const key of new URLSearchParams(url.slice(start + 1)).keys()) {
      if (!read.has(key)) continue;
      if (seen.has(key)) throw invalidRequest(`Query parameter '${echoed(key)}' is given more than once`);
      seen.add(key);
    }
  };
}
