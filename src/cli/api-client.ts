/**
 * The CLI's REST client: openapi-fetch over the types generated from the service's OpenAPI
 * document (api-types.ts), so every path, parameter and body is checked against the routes when
 * the CLI is type-checked. Each answer also keeps its text exactly as the service sent it, which
 * is what `--json` prints.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './api-types.ts';

export interface ApiAuth {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as `x-mock-user-id` (AUTH_MODE=mock services). */
  mockUser?: string;
  /** Sent as `x-mock-admin-id` (admin routes of AUTH_MODE=mock services). */
  mockAdmin?: string;
}

export type Api = Client<paths>;

/** One answer as received. */
export interface ApiResponse {
  url: string;
  status: number;
  /** The body exactly as received. */
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
}

export interface ApiAnswer<T> extends ApiResponse {
  /** The 2xx body as the document types it; undefined for an error or a body that is not JSON. */
  data: T | undefined;
}

/** One typed call, e.g. `(api) => api.GET('/v1/challenges/{challengeId}', { params: { path: { challengeId } } })`. */
export type ApiCall<T> = (api: Api) => Promise<{ data?: T; response: Response }>;

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
  /** Runs the call; rejects with ServiceUnreachable when no answer arrives. */
  send<T>(call: ApiCall<T>): Promise<ApiAnswer<T>>;
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
  // The answers behind the responses openapi-fetch hands back, whose bodies it has consumed.
  const received = new WeakMap<Response, ApiResponse>();

  async function receive(request: Request): Promise<Response> {
    let response: Response;
    let text: string;
    // The deadline covers reading the body too: a service that stalls mid-answer is unreachable.
    try {
      response = await fetch(request, { signal: AbortSignal.timeout(options.timeoutMs) });
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
    const json = parseJson(text);
    // openapi-fetch throws on a 2xx body that is not JSON, so such a body is not handed on: the
    // caller sees no data and reports the text kept here. The copy carries decoded text, which the
    // original length and encoding no longer describe.
    const handed = new Headers(response.headers);
    handed.delete('content-length');
    handed.delete('content-encoding');
    const copy = new Response(json === undefined ? null : text, {
      status: response.status,
      statusText: response.statusText,
      headers: handed,
    });
    received.set(copy, { url: request.url, status: response.status, text, json });
    return copy;
  }

  const api = createClient<paths>({ baseUrl, headers, fetch: receive });
  return {
    async send(call) {
      const { data, response } = await call(api);
      const answer = received.get(response);
      if (answer === undefined) throw new Error('the response did not come through this client');
      return { ...answer, data };
    },
  };
}
