import { createDevAuthenticator } from './dev-token.ts';
import { createJwksAuthenticator } from './jwks.ts';
import { createMockAuthenticator } from './mock.ts';
import type { Authenticate, AuthOptions } from './types.ts';

/**
 * Builds the request authenticator for the configured mode. Throws at once on bad options (bad URL,
 * empty secret), so a misconfiguration stops startup instead of failing every request.
 */
export function createAuthenticator(options: AuthOptions): Authenticate {
  switch (options.mode) {
    case 'jwks':
      return createJwksAuthenticator(options);
    case 'dev':
      return createDevAuthenticator(options);
    case 'mock':
      return createMockAuthenticator(options);
    default: {
      // Reachable only from untyped config; the options may hold a secret, so name just the mode.
      const unknown: never = options;
      const { mode } = unknown as { mode?: unknown };
      throw new TypeError(`Unknown auth mode ${JSON.stringify(mode)}; expected jwks, dev or mock`);
    }
  }
}
