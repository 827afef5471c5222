/**
 * `watch`: prints the player's live event stream (GET /v1/challenges/stream) as it arrives, one
 * line per event, and reconnects after a dropped connection with the last event id, as a
 * browser's EventSource would. Plain fetch: the typed client reads whole answers, not streams.
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

async function watch(options: WatchOptions): Promise<number> {
  const { baseUrl, timeoutMs } = connectionOf(options);
  if (options.user !== undefined && options.token !== undefined)
    fail('pass either --user (mint a dev token) or --token, not both');
  const count = options.count === undefined ? undefined : Number(options.count);
  if (count !== undefined && (!Number.isInteger(count) || count <= 0))
    fail(`--count must be a positive integer, got '${options.count}'`);
  const token = options.user !== undefined ? await mintCliToken(options.user) : options.token;
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  if (options.mockUser !== undefined) headers['x-mock-user-id'] = options.mockUser;
  const url = `${baseUrl.replace(/\/+$/, '')}/v1/challenges/stream${options.activeOnly ? '?active_only=true' : ''}`;
  let lastEventId = options.lastEventId;
  let goalEvents = 0;
  let retryMs = 2_000;
  for (;;) {
    const opening = new AbortController();
    const timer = setTimeout(() => opening.abort(), timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: lastEventId === undefined ? headers : { ...headers, 'last-event-id': lastEventId },
        signal: opening.signal,
      });
    } catch (error) {
      clearTimeout(timer);
      const reason = opening.signal.aborted ? `no answer within ${timeoutMs} ms` : String(error);
      console.error(`error: cannot reach the service at ${baseUrl} (is it running?)\n  (${reason})`);
      if (!options.reconnect || lastEventId === undefined) return EXIT.UNREACHABLE;
      await Bun.sleep(retryMs);
      continue;
    }
    clearTimeout(timer);
    if (response.status !== 200 || !response.body) {
      const text = await response.text();
      return reportApiError({ url, status: response.status, text, json: parseJson(text) });
    }
    for await (const event of readEvents(response.body, (ms) => (retryMs = ms))) {
      if (event.id !== undefined) lastEventId = event.id;
      console.log(options.json ? JSON.stringify(event) : printable(describeEvent(event)));
      if (event.event !== 'snapshot' && count !== undefined && ++goalEvents >= count) return EXIT.OK;
    }
    if (!options.reconnect) return EXIT.OK;
    console.error(
      `the stream ended; reconnecting in ${retryMs} ms${lastEventId ? ` after ${lastEventId}` : ''}`,
    );
    await Bun.sleep(retryMs);
  }
}

/** The events of an SSE body; comments (heartbeats) are skipped, `retry:` is reported. */
export async function* readEvents(
  body: ReadableStream<Uint8Array>,
  onRetry: (ms: number) => void = () => {},
): AsyncGenerator<StreamEvent> {
  let buffer = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        let id: string | undefined;
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) id = line.slice(4);
          else if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
          else if (line.startsWith('retry: ')) onRetry(Number(line.slice(7)));
        }
        if (data.length > 0) yield { id, event, data: data.join('\n') };
      }
    }
  } catch {
    // The connection dropped: the caller reconnects.
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
