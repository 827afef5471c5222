/**
 * Client-credentials access token for the AccelByte Platform, cached per granter. Tokens are renewed
 * ahead of expiry (60 s, or half the lifetime for short-lived tokens) so a grant rarely pays for a
 * token request, and concurrent grants share one request instead of each fetching its own.
 */
import { bodySnippet, classifyStatus, describeFailure } from './retry.ts';
import { RewardGrantError } from './reward-granter.ts';

const REFRESH_EARLY_MS = 60_000;

export interface AgsTokenSource {
  /** A token that is valid now. Rejects with `RewardGrantError` (permanent when the credentials are refused). */
  get(signal: AbortSignal): Promise<string>;
  /** Forget `token` after the platform answered 401 to it, so the next `get` fetches a new one. */
  invalidate(token: string): void;
}

export interface AgsTokenOptions {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly requestTimeoutMs: number;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  readonly now?: () => number;
}

export function createAgsTokenSource(options: AgsTokenOptions): AgsTokenSource {
  const now = options.now ?? Date.now;
  const basic = Buffer.from(`${options.clientId}:${options.clientSecret}`, 'utf8').toString('base64');
  let cached: { readonly token: string; readonly refreshAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const requestedAt = now();
    let response: Response;
    try {
      response = await fetch(`${options.baseUrl}/iam/v3/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
        redirect: 'manual',
        // Shared by every waiting grant, so it has its own timeout rather than one caller's signal.
        signal: AbortSignal.timeout(options.requestTimeoutMs),
      });
    } catch (error) {
      throw new RewardGrantError(`AGS token request: ${describeFailure(error, options.requestTimeoutMs)}`, {
        permanent: false,
        cause: error,
      });
    }
    const verdict = classifyStatus(response.status);
    if (verdict !== 'ok') {
      const hint = verdict === 'permanent' ? ' (check AB_CLIENT_ID, AB_CLIENT_SECRET and AB_BASE_URL)' : '';
      throw new RewardGrantError(
        `AGS token request refused with HTTP ${response.status}${await bodySnippet(response)}${hint}`,
        { permanent: verdict === 'permanent', status: response.status },
      );
    }
    const body: unknown = await response.json().catch(() => undefined);
    const token = readField(body, 'access_token');
    if (typeof token !== 'string' || token === '') {
      throw new RewardGrantError('AGS token response has no access_token', { permanent: false });
    }
    const expiresIn = readField(body, 'expires_in');
    const lifetimeMs = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn * 1000 : 0;
    cached = { token, refreshAt: requestedAt + lifetimeMs - Math.min(REFRESH_EARLY_MS, lifetimeMs / 2) };
    return token;
  }

  return {
    get(signal) {
      if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token);
      inflight ??= fetchToken().finally(() => {
        inflight = undefined;
      });
      return raceAbort(inflight, signal);
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}

function readField(body: unknown, key: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
}

/** Settles with `promise`, or rejects with the signal's reason when it aborts first. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
