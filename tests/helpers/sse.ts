/**
 * A Server-Sent Events client for tests: opens a stream over real HTTP, parses it as EventSource
 * would (id, event, data, comments), and lets a test wait for the events it expects.
 */

export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
  /** `data` parsed as JSON. */
  readonly json: Record<string, unknown>;
}

export interface SseClient {
  readonly response: Response;
  /** Every event received so far, in order. */
  readonly events: SseEvent[];
  /** Comment lines received so far (heartbeats). */
  readonly comments: string[];
  /** The `retry:` value, once sent. */
  readonly retryMs: () => number | undefined;
  /** Resolves when the server ended the stream. */
  readonly ended: Promise<void>;
  /** Waits until `count` events matching `match` arrived after index `from`; returns them. */
  waitFor(
    match: (event: SseEvent) => boolean,
    options?: { count?: number; from?: number; timeoutMs?: number },
  ): Promise<SseEvent[]>;
  close(): void;
}

/** Opens the stream; rejects with the status and body when the answer is not a 200 event stream. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  if (response.status !== 200 || !response.body) {
    throw new Error(`stream answered ${response.status}: ${await response.text()}`);
  }
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let retryMs: number | undefined;
  const waiters = new Set<() => void>();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const ended = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          parseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
        for (const wake of waiters) wake();
      }
    } catch {
      // aborted by close()
    }
    for (const wake of waiters) wake();
  })();
  let finished = false;
  void ended.then(() => {
    finished = true;
  });

  function parseBlock(block: string) {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    let isEvent = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comments.push(line.slice(1).trim());
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) {
        data.push(line.slice(6));
        isEvent = true;
      } else if (line.startsWith('retry: ')) retryMs = Number(line.slice(7));
    }
    if (!isEvent) return;
    const text = data.join('\n');
    events.push({ id, event, data: text, json: JSON.parse(text) as Record<string, unknown> });
  }

  return {
    response,
    events,
    comments,
    retryMs: () => retryMs,
    ended,
    async waitFor(match, options = {}) {
      const { count = 1, from = 0, timeoutMs = 5_000 } = options;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.slice(from).filter(match);
        if (found.length >= count) return found.slice(0, count);
        if (finished) throw new Error(`the stream ended with ${found.length} of ${count} matching events`);
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(
            `${found.length} of ${count} matching events within ${timeoutMs} ms; got: ${events
              .slice(from)
              .map((e) => e.event)
              .join(', ')}`,
          );
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, left);
          waiters.add(wake);
        });
      }
    },
    close() {
      abort.abort();
    },
  };
}
