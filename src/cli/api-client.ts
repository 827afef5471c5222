/**
 * A small fetch-based client for the REST API. It never interprets success bodies: callers get the
 * text exactly as the service sent it (for `--json`) plus the parsed value.
 */
export interface ApiAuth {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as `x-mock-user-id` (AUTH_MODE=mock services). */
  mockUser?: string;
  /** Sent as `x-mock-admin-id` (admin routes of AUTH_MODE=mock services). */
  mockAdmin?: string;
}

export interface ApiResponse {
  url: string;
  status: number;
  /** The body exactly as received. */
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
}

/** The service did not answer: connection refused, DNS failure, or no answer in time. */
export class ServiceUnreachable extends Error {
  override readonly name = 'ServiceUnreachable';
  constructor(
    readonly baseUrl: string,
    readonly reason: string,
  ) {
    super(`cannot reach the service at ${baseUrl} (is it running?)`);
  }
}

export interface ApiClient {
  readonly baseUrl: string;
  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<ApiResponse>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function createApiClient(options: { baseUrl: string; auth: ApiAuth; timeoutMs: number }): ApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.auth.token !== undefined) headers['authorization'] = `Bearer ${options.auth.token}`;
  if (options.auth.mockUser !== undefined) headers['x-mock-user-id'] = options.auth.mockUser;
  if (options.auth.mockAdmin !== undefined) headers['x-mock-admin-id'] = options.auth.mockAdmin;
  return {
    baseUrl,
    async request(method, path, body) {
      const url = `${baseUrl}${path}`;
      let response: Response;
      let text: string;
      try {
        response = await fetch(url, {
          method,
          headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        const timedOut = error instanceof Error && error.name === 'TimeoutError';
        const reason = timedOut
          ? `no answer within ${options.timeoutMs} ms`
          : error instanceof Error
            ? error.message
            : String(error);
        throw new ServiceUnreachable(baseUrl, reason);
      }
      return { url, status: response.status, text, json: parseJson(text) };
    },
  };
}

/** Path segment escaping for ids taken from the command line. */
export const segment = (id: string) => encodeURIComponent(id);
