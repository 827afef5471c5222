/**
 * A fake AccelByte IAM + Platform: issues client-credentials tokens (`token-1`, `token-2`, …), refuses
 * unknown or revoked bearer tokens with 401, and answers platform calls from a scripted handler.
 */
import { type FakeServer, json, type RecordedRequest, startFakeServer } from './fake-server.ts';

export const CLIENT_ID = 'challenge-client';
export const CLIENT_SECRET = 'sup3r-s3cret-value';

export interface FakeAgsOptions {
  /** Token lifetime in seconds. */
  readonly expiresIn?: number;
  /** Answer for the token endpoint; default issues a token. */
  readonly token?: (request: RecordedRequest) => Response | undefined | Promise<Response | undefined>;
  /** Answer for an authorised platform call; `n` counts platform calls from 1. Default 200. */
  readonly platform?: (request: RecordedRequest, n: number) => Response | Promise<Response>;
}

export interface FakeAgs extends FakeServer {
  readonly tokenRequests: readonly RecordedRequest[];
  readonly platformRequests: readonly RecordedRequest[];
  revoke(token: string): void;
}

export function startFakeAgs(options: FakeAgsOptions = {}): FakeAgs {
  const tokenRequests: RecordedRequest[] = [];
  const platformRequests: RecordedRequest[] = [];
  const valid = new Set<string>();
  let issued = 0;

  const server = startFakeServer(async (request) => {
    if (request.path === '/iam/v3/oauth/token') {
      tokenRequests.push(request);
      const scripted = await options.token?.(request);
      if (scripted) return scripted;
      if (request.headers.get('authorization') !== expectedBasic())
        return json({ error: 'invalid_client' }, 401);
      issued += 1;
      const token = `token-${issued}`;
      valid.add(token);
      return json({ access_token: token, token_type: 'Bearer', expires_in: options.expiresIn ?? 3600 });
    }
    platformRequests.push(request);
    const token = request.headers.get('authorization')?.replace(/^Bearer /, '') ?? '';
    if (!valid.has(token)) return json({ errorCode: 20001, errorMessage: 'unauthorized' }, 401);
    return options.platform ? options.platform(request, platformRequests.length) : json({}, 200);
  });

  return {
    ...server,
    tokenRequests,
    platformRequests,
    revoke: (token) => void valid.delete(token),
  };
}

const expectedBasic = () => `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
