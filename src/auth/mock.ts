/**
 * Mock mode, the original's PLUGIN_GRPC_SERVER_AUTH_ENABLED=false: the caller names the user in
 * `x-mock-user-id` and no token is checked. For load tests and local tooling only.
 */
import { unauthenticated } from '../domain/errors.ts';
import { idProblem, MAX_USER_ID_LENGTH } from '../domain/ids.ts';
import type { Authenticate, MockAuthOptions } from './types.ts';

export const MOCK_USER_HEADER = 'x-mock-user-id';
export const DEFAULT_MOCK_USER_ID = 'test-user-123';

const HEADER_RULE = `${MOCK_USER_HEADER} must be 1-${MAX_USER_ID_LENGTH} printable characters`;

export function createMockAuthenticator(options: MockAuthOptions): Authenticate {
  const defaultUserId = options.defaultUserId ?? DEFAULT_MOCK_USER_ID;
  if (defaultUserId.trim() === '' || idProblem(defaultUserId, MAX_USER_ID_LENGTH) !== undefined) {
    throw new RangeError(`defaultUserId must be 1-${MAX_USER_ID_LENGTH} printable characters`);
  }
  return async (headers) => {
    const userId = headers.get(MOCK_USER_HEADER)?.trim() ?? '';
    if (userId === '') return { userId: defaultUserId };
    const problem = idProblem(userId, MAX_USER_ID_LENGTH);
    if (problem !== undefined) {
      options.onReject?.(`${MOCK_USER_HEADER} ${problem}`);
      // Nothing is secret in mock mode, and the generic bearer-token hint would mislead the caller.
      throw unauthenticated(HEADER_RULE);
    }
    return { userId };
  };
}
