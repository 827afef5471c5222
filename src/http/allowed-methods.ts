/**
 * Which methods a path answers to, derived from the routes the app registered (their paths carry
 * BASE_PATH already), so a new route is reflected in 405 answers without a second list to keep.
 */
export interface RegisteredRoute {
  readonly method: string;
  readonly path: string;
}

export type AllowedMethods = (pathname: string) => readonly string[];

export function createAllowedMethods(routes: readonly RegisteredRoute[]): AllowedMethods {
  const patterns = routes.map((route) => ({
    method: route.method.toUpperCase(),
    pattern: patternOf(route.path),
  }));
  return (pathname) => {
    const methods = new Set(patterns.filter(({ pattern }) => pattern.test(pathname)).map((p) => p.method));
    // Bun answers HEAD itself for every GET route when listening.
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}

/** `/v1/challenges/:challengeId` → a regular expression matching one concrete path of it. */
function patternOf(path: string): RegExp {
  const segments = path.split('/').map((segment) => {
    if (segment === '*') return '.*';
    if (segment.startsWith(':')) return '[^/]+';
    return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${segments.join('/')}/?$`);
}
