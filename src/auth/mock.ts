/**
 * Mock mode, the original's PLUGIN_GRPC_SERVER_AUTH_ENABLED=false: the caller names the user in
 * `x-mock-user-id` and no token is checked. For load tests and local tooling only.
 */
import { unauthenticated } from '../domain/errors.ts';
import { type Authenticate, MAX_USER_ID_LENGTH, type MockAuthOptions } from './types.ts';

export const MOCK_USER_HEADER = 'x-mock-user-id';
export const DEFAULT_MOCK_USER_ID = 'test-user-123';

export function createMockAuthenticator(options: MockAuthOptions): Authenticate {
  const defaultUserId = options.defaultUserId ?? DEFAULT_MOCK_USER_ID;
  if (defaultUserId.trim() === '' || defaultUserId.length > MAX_USER_ID_LENGTH) {
    throw new RangeError(`defaultUserId must be 1-${MAX_USER_ID_LENGTH} characters`);
  }
  return async (headers) => {
    const userId = headers.get(MOCK_USER_HEADER)?.trim() ?? '';
    if (userId === '') return { userId: defaultUserId };
    if (userId.length > MAX_USER_ID_LENGTH) {
      options.onReject?.(`${MOCK_USER_HEADER} is ${userId.length} characters (max ${MAX_USER_ID_LENGTH})`);
      throw unauthenticated();
    }
    return { userId };
  };
}
