/**
 * Authorises the admin routes, apart from players. In jwks and dev mode the caller's token must be
 * valid (else 401, as for players) and carry a permission for this service's admin resource with
 * the route's action (else 403): one check serves both modes, since dev admin tokens carry the same
 * claim. Mock mode checks nothing, so an admin is only who names themselves in `x-mock-admin-id`;
 * without it even mock mode answers 403, and the player header never makes anyone an admin.
 */
import { type AppError, permissionDenied, unauthenticated } from '../domain/errors.ts';
import { idProblem, MAX_USER_ID_LENGTH } from '../domain/ids.ts';
import { adminResource, isAllowed, PERMISSION_ACTIONS, type PermissionAction } from './admin-permission.ts';
import type { Authenticate, AuthMode } from './types.ts';

export const MOCK_ADMIN_HEADER = 'x-mock-admin-id';

export interface AdminIdentity {
  /** The admin's user id (the token's `sub`, or the mock header): named in the audit trail. */
  readonly adminUserId: string;
}

/**
 * Throws AppError('UNAUTHENTICATED') without a valid credential, AppError('PERMISSION_DENIED') when
 * the credential does not grant `action` on the admin resource, and passes UNAVAILABLE through.
 */
export type AuthorizeAdmin = (headers: Headers, action: PermissionAction) => Promise<AdminIdentity>;

export interface AdminAuthorizerOptions {
  readonly mode: AuthMode;
  /** The player authenticator of the same mode; it verifies the token. */
  readonly authenticate: Authenticate;
  readonly namespace: string;
  /** Told who was refused and why, for the log; the client sees the generic 403. */
  readonly onDenied?: (denial: { readonly userId: string; readonly reason: string }) => void;
}

export function createAdminAuthorizer(options: AdminAuthorizerOptions): AuthorizeAdmin {
  const resource = adminResource(options.namespace);
  const denied = (userId: string, action: PermissionAction, reason: string): AppError => {
    options.onDenied?.({ userId, reason });
    return permissionDenied(`${resource} with action ${action} (${PERMISSION_ACTIONS[action]})`);
  };

  if (options.mode === 'mock') {
    return async (headers, action) => {
      const adminUserId = headers.get(MOCK_ADMIN_HEADER)?.trim() ?? '';
      if (adminUserId === '') throw denied('', action, `no ${MOCK_ADMIN_HEADER} header`);
      const problem = idProblem(adminUserId, MAX_USER_ID_LENGTH);
      if (problem !== undefined)
        throw unauthenticated(`${MOCK_ADMIN_HEADER} must be 1-${MAX_USER_ID_LENGTH} printable characters`);
      return { adminUserId };
    };
  }

  return async (headers, action) => {
    const user = await options.authenticate(headers);
    const required = { resource, action: PERMISSION_ACTIONS[action] };
    if (!isAllowed(user.permissions ?? [], required)) {
      const reason =
        user.permissions === undefined
          ? 'token has no permissions claim'
          : `no permission covers ${resource} with action ${action}`;
      throw denied(user.userId, action, reason);
    }
    return { adminUserId: user.userId };
  };
}
