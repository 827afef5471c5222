/**
 * `watch`: prints the player's live event stream (GET /v1/challenges/stream) as it arrives, one
 * line per event, and reconnects after a dropped connection with the last event id, as a
 * browser's EventSource would; also after a stream that went quiet past `--idle-ms` (a dead
 * connection) and after a 503 or 429 once connected (a replica shutting down, one full). Plain
 * fetch: the typed client reads whole answers, not streams.
 */
import type { Command } from 'commander';
import { connectionOf, example, withConnectionOptions } from './api-commands.ts';
import { mintCliToken } from './dev-token.ts';
import { fail } from './fail.ts';
import { EXIT, reportApiError } from './output.ts';
import { printable } from './printable.ts';

interface WatchOptions {
  url: string;
  json?: boolean;
  timeoutMs: string;
  user?: string;
  token?: string;
  mockUser?: string;
  lastEventId?: string;
  activeOnly?: boolean;
  count?: string;
  idleMs?: string;
  reconnect: boolean;
}

export interface StreamEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

export function registerWatchCommand(program: Command): void {
  const command = withConnectionOptions(
    program
      .command('watch')
      .description("Print the user's live event stream: a snapshot, then every change of their goals"),
  )
    .option('-u, --user <userId>', 'act as this user with a dev token minted here (AUTH_MODE=dev)')
    .option('--token <jwt>', 'bearer token to send (e.g. from: bun run cli token --user <id>)')
    .option('--mock-user <userId>', 'send x-mock-user-id (AUTH_MODE=mock services)')
    .option('--last-event-id <id>', 'resume after this event id: the outbox events since are replayed first')
    .option('--active-only', 'the snapshot lists only active goals')
    .option('--count <n>', 'exit after this many goal events')
    .option(
      '--idle-ms <ms>',
      'reconnect when the stream sends nothing for this long (heartbeats included)',
      '60000',
    )
    .option('--no-reconnect', 'exit when the connection drops instead of resuming');
  example(
    command,
    'bun run cli watch --user alice',
    'bun run cli watch --mock-user alice --json --count 1',
    'bun run cli watch --user alice --last-event-id 1234-56',
  );
  command.action(async (options: WatchOptions) => {
    process.exitCode = await watch(options);
  });
}

/** Without a byte for this long (heartbeats come every 15 s by default) the connection is taken for dead. */
const DEFAULT_IDLE_MS = 60_000;
/** An event larger than this is no event of this service's: the connection is dropped. */
const MAX_EVENT_CHARS = 16 * 1024 * 1024;

async function watch(options: WatchOptions): Promise<number> {
  const { baseUrl, timeoutMs } = connectionOf(options);
  if (options.user !== undefined && options.token !== undefined)
    fail('pass either --user (mint a dev token) or --token, not both');
  const count = options.count === undefined ? undefined : Number(options.count);
  if (count !== undefined && (!Number.isInteger(count) || count <= 0))
    fail(`--count must be a positive integer, got '${options.count}'`);
  const idleMs = Number(options.idleMs ?? DEFAULT_IDLE_MS);
  if (!Number.isInteger(idleMs) || idleMs <= 0)
    fail(`--idle-ms must be a positive integer, got '${options.idleMs}'`);
  let lastEventId = options.lastEventId;
  // A dev token is minted for each connection: one lasts an hour, a watch may last longer.
  const headersNow = async (): Promise<Record<string, string>> => {
    const token = options.user !== undefined ? await mintCliToken(options.user) : options.token;
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    if (options.mockUser !== undefined) headers['x-mock-user-id'] = options.mockUser;
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    return headers;
  };
  const url = `${baseUrl.replace(/\/+$/, '')}/v1/challenges/stream${options.activeOnly ? '?active_only=true' : ''}`;
  let connected = false;
  let goalEvents = 0;
  let retryMs = 2_000;
  for (;;) {
    const connection = new AbortController();
    let idle = setTimeout(() => connection.abort(), timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, { headers: await headersNow(), signal: connection.signal });
    } catch (error) {
      clearTimeout(idle);
      const reason = connection.signal.aborted ? `no answer within ${timeoutMs} ms` : String(error);
      console.error(`error: cannot reach the service at ${baseUrl} (is it running?)\n  (${reason})`);
      if (!options.reconnect || !connected) return EXIT.UNREACHABLE;
      await Bun.sleep(retryMs);
      continue;
    }
    clearTimeout(idle);
    if (response.status !== 200 || !response.body) {
      const text = await response.text();
      // Once connected, a replica shutting down (503), a full one (429) or a proxy's gateway
      // answer (502, 504) is a reason to come back; any other error is reported.
      if (options.reconnect && connected && [429, 502, 503, 504].includes(response.status)) {
        console.error(`the service answered HTTP ${response.status}; reconnecting in ${retryMs} ms`);
        await Bun.sleep(retryMs);
        continue;
      }
      return reportApiError({ url, status: response.status, text, json: parseJson(text) });
    }
    connected = true;
    const restartIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(), idleMs);
    };
    restartIdle();
    try {
      for await (const event of readEvents(response.body, {
        onRetry: (ms) => (retryMs = ms),
        onData: restartIdle,
      })) {
        if (event.id !== undefined) lastEventId = event.id;
        console.log(options.json ? JSON.stringify(event) : printable(describeEvent(event)));
        if (event.event !== 'snapshot' && count !== undefined && ++goalEvents >= count) return EXIT.OK;
      }
    } finally {
      clearTimeout(idle);
      connection.abort();
    }
    if (!options.reconnect) return EXIT.OK;
    console.error(
      `the stream ended; reconnecting in ${retryMs} ms${lastEventId ? ` after ${lastEventId}` : ''}`,
    );
    await Bun.sleep(retryMs);
  }
}

/** `retry:` as the milliseconds to wait, held to 100 ms – 60 s; undefined when it is not a number. */
const retryOf = (value: string): number | undefined =>
  /^\d+$/.test(value) ? Math.min(60_000, Math.max(100, Number(value))) : undefined;

/**
 * The events of an SSE body; comments (heartbeats) are skipped, `retry:` is reported, and every
 * piece of the body that arrives is (`onData`). Lines end in LF, CRLF or CR. An event larger than
 * `MAX_EVENT_CHARS` ends the body, as a dropped connection does.
 */
export async function* readEvents(
  body: ReadableStream<Uint8Array>,
  hooks: { readonly onRetry?: (ms: number) => void; readonly onData?: () => void } = {},
): AsyncGenerator<StreamEvent> {
  let buffer = '';
  const decoder = new TextDecoder();
  let id: string | undefined;
  let event = 'message';
  let data: string[] = [];
  try {
    for await (const chunk of body) {
      hooks.onData?.();
      // A CR at the end of a piece may be the first half of a CRLF: it waits for the next piece.
      buffer += decoder.decode(chunk, { stream: true });
      const held = buffer.endsWith('\r') ? '\r' : '';
      buffer = buffer.slice(0, buffer.length - held.length).replace(/\r\n?/g, '\n');
      let start = 0;
      let end = buffer.indexOf('\n', start);
      while (end >= 0) {
        const line = buffer.slice(start, end);
        start = end + 1;
        end = buffer.indexOf('\n', start);
        if (line === '') {
          if (data.length > 0) yield { id, event, data: data.join('\n') };
          id = undefined;
          event = 'message';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'retry') {
          const ms = retryOf(value);
          if (ms !== undefined) hooks.onRetry?.(ms);
        }
      }
      buffer = buffer.slice(start) + held;
      if (buffer.length + data.reduce((sum, line) => sum + line.length, 0) > MAX_EVENT_CHARS) return;
    }
  } catch {
    // The connection dropped (or went quiet past the idle time): the caller reconnects.
  }
}

function describeEvent(event: StreamEvent): string {
  const data = parseJson(event.data);
  if (event.event === 'snapshot' && isRecord(data) && Array.isArray(data['challenges'])) {
    const goals = data['challenges'].flatMap((c: unknown) =>
      isRecord(c) && Array.isArray(c['goals']) ? c['goals'] : [],
    );
    const active = goals.filter((goal: unknown) => isRecord(goal) && goal['isActive'] === true).length;
    return `snapshot: ${data['challenges'].length} challenges, ${goals.length} goals (${active} active)${event.id ? `  [id ${event.id}]` : ''}`;
  }
  if (!isRecord(data) || !isRecord(data['goal'])) return `${event.event}: ${event.data}`;
  const goal = data['goal'];
  const requirement = isRecord(goal['requirement']) ? goal['requirement'] : {};
  return [
    String(data['occurredAt'] ?? ''),
    event.event.padEnd(15),
    `${String(data['challengeId'])}/${String(data['goalId'])}`,
    `${String(goal['progress'])}/${String(requirement['targetValue'] ?? '?')} ${String(goal['status'])}${goal['isActive'] === false ? ' (inactive)' : ''}`,
    ...(event.id ? [`[id ${event.id}]`] : []),
  ].join('  ');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
