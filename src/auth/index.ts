export {
  type AdminAuthorizerOptions,
  type AdminIdentity,
  type AuthorizeAdmin,
  createAdminAuthorizer,
  MOCK_ADMIN_HEADER,
} from './admin-authorizer.ts';
export {
  ALL_ACTIONS,
  adminPermissions,
  adminResource,
  PERMISSION_ACTIONS,
  type Permission,
  type PermissionAction,
} from './admin-permission.ts';
export { createAuthenticator } from './authenticator.ts';
export { DEV_TOKEN_ISSUER, generateDevSecret, type MintDevTokenOptions, mintDevToken } from './dev-token.ts';
export { DEFAULT_MOCK_USER_ID, MOCK_USER_HEADER } from './mock.ts';
export type {
  Authenticate,
  AuthenticatedUser,
  AuthMode,
  AuthOptions,
  DevAuthOptions,
  JwksAuthOptions,
  KeySetFailure,
  KeySetFailureListener,
  MockAuthOptions,
  RejectListener,
} from './types.ts';
