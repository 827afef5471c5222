/** A loopback HTTP server that records every request and answers from a test-supplied handler. */

export interface RecordedRequest {
  readonly method: string;
  /** Path as sent, percent-encoding kept. */
  readonly path: string;
  readonly headers: Headers;
  readonly body: string;
  /** `performance.now()` when the request arrived. */
  readonly at: number;
}

export type FakeHandler = (request: RecordedRequest) => Response | Promise<Response>;

export interface FakeServer extends AsyncDisposable {
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  stop(): Promise<void>;
}

export function startFakeServer(handle: FakeHandler): FakeServer {
  const requests: RecordedRequest[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const url = new URL(request.url);
      const recorded: RecordedRequest = {
        method: request.method,
        path: url.pathname,
        headers: request.headers,
        body: await request.text(),
        at: performance.now(),
      };
      requests.push(recorded);
      return handle(recorded);
    },
  });
  const stop = () => server.stop(true);
  return { url: `http://127.0.0.1:${server.port}`, requests, stop, [Symbol.asyncDispose]: stop };
}

/** A URL nothing listens on: connections are refused. */
export async function closedPortUrl(): Promise<string> {
  const server = startFakeServer(() => new Response('unused'));
  await server.stop();
  return server.url;
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** Records `onAttempt` calls so tests can assert on retries. */
export function recordAttempts() {
  const attempts: { outcome: string; detail: string }[] = [];
  return {
    attempts,
    outcomes: () => attempts.map((attempt) => attempt.outcome),
    hooks: { onAttempt: (outcome: string, detail: string) => void attempts.push({ outcome, detail }) },
  };
}

/** Runs `promise` expecting it to reject, and returns the rejection. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
