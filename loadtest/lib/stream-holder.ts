/**
 * A process that holds many live streams (GET /v1/challenges/stream) open at once, for the
 * `streams` scenario. Plain TCP sockets speaking HTTP/1.1, not fetch: ten thousand fetch bodies
 * would cost far more than the service's side of them, and the figures must describe the service.
 * It counts the events that arrive and how long after their `occurredAt` (the writer's time)
 * each goal event came. Driven over IPC by open-streams.ts.
 */
import { mintDevToken } from '../../src/auth/index.ts';
import { Histogram } from './histogram.ts';
import type { FromHolder, ToHolder } from './open-streams.ts';
import { userId } from './workload.ts';

interface Connection {
  head: string;
  headDone: boolean;
  /** Chunked transfer decoding: bytes of the current chunk still to read, or -1 for a size line. */
  chunkLeft: number;
  raw: string;
  text: string;
  snapshot: boolean;
  open: boolean;
  socket?: { end(): void };
}

const send = (message: FromHolder) => process.send?.(message);
const connections = new Set<Connection>();
let events: Record<string, number> = {};
let delays = new Histogram();
let ended = 0;
let cpu = process.cpuUsage();
let since = performance.now();

process.on('message', (message: ToHolder) => {
  if (message.type === 'open') void openAll(message);
  if (message.type === 'close') {
    for (const connection of connections) connection.socket?.end();
    connections.clear();
    send({ type: 'closed' });
  }
  if (message.type === 'stats') {
    const used = process.cpuUsage(cpu);
    const cpuPct = ((used.user + used.system) / 1000 / (performance.now() - since)) * 100;
    send({ type: 'stats', events, delays: delays.toJSON(), open: connections.size, ended, cpuPct });
    events = {};
    delays = new Histogram();
    ended = 0;
    cpu = process.cpuUsage();
    since = performance.now();
  }
});

async function openAll(message: Extract<ToHolder, { type: 'open' }>): Promise<void> {
  const url = new URL(`${message.httpBase}/v1/challenges/stream?active_only=true`);
  const started = performance.now();
  let next = message.firstUser;
  let failed = 0;
  let firstError: string | undefined;
  const openOne = async (user: string) => {
    const auth = message.devSecret
      ? `authorization: Bearer ${await mintDevToken({ secret: message.devSecret, userId: user, namespace: message.namespace })}`
      : `x-mock-user-id: ${user}`;
    const request = `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\naccept: text/event-stream\r\n${auth}\r\n\r\n`;
    await new Promise<void>((resolve) => {
      const connection: Connection = {
        head: '',
        headDone: false,
        chunkLeft: -1,
        raw: '',
        text: '',
        snapshot: false,
        open: true,
      };
      let settled = false;
      const settle = (error?: string) => {
        if (settled) return;
        settled = true;
        if (error) {
          failed++;
          firstError ??= error;
        } else connections.add(connection);
        resolve();
      };
      void Bun.connect({
        hostname: url.hostname,
        port: Number(url.port),
        socket: {
          open(socket) {
            connection.socket = socket;
            socket.write(request);
          },
          data(_socket, chunk) {
            const problem = receive(connection, chunk.toString('latin1'));
            if (problem) settle(problem);
            else if (connection.snapshot) settle();
          },
          close() {
            if (connection.open && connections.delete(connection)) ended++;
            connection.open = false;
            settle('closed before its snapshot');
          },
          error(_socket, error) {
            settle(String(error));
          },
        },
      }).catch((error: unknown) => settle(String(error)));
    });
  };
  // A bounded number of opens at a time, as clients arriving over a few seconds would.
  const workers = Array.from({ length: Math.min(message.concurrency, message.count) }, async () => {
    while (next < message.firstUser + message.count) await openOne(userId(next++));
  });
  await Promise.all(workers);
  send({ type: 'opened', open: connections.size, failed, ms: performance.now() - started, firstError });
}

/** Feeds received bytes through HTTP and chunked decoding into SSE events; a problem ends the stream. */
function receive(connection: Connection, bytes: string): string | undefined {
  if (!connection.headDone) {
    connection.head += bytes;
    const end = connection.head.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const head = connection.head.slice(0, end);
    if (!head.startsWith('HTTP/1.1 200')) return head.split('\r\n')[0];
    if (!/transfer-encoding: chunked/i.test(head)) return 'the stream is not chunked';
    connection.headDone = true;
    bytes = connection.head.slice(end + 4);
    connection.head = '';
  }
  connection.raw += bytes;
  for (;;) {
    if (connection.chunkLeft < 0) {
      const line = connection.raw.indexOf('\r\n');
      if (line < 0) break;
      connection.chunkLeft = Number.parseInt(connection.raw.slice(0, line), 16);
      connection.raw = connection.raw.slice(line + 2);
      if (connection.chunkLeft === 0) return 'the stream ended';
    }
    if (connection.raw.length < connection.chunkLeft + 2) break;
    connection.text += connection.raw.slice(0, connection.chunkLeft);
    connection.raw = connection.raw.slice(connection.chunkLeft + 2);
    connection.chunkLeft = -1;
  }
  let end = connection.text.indexOf('\n\n');
  while (end >= 0) {
    countEvent(connection, connection.text.slice(0, end));
    connection.text = connection.text.slice(end + 2);
    end = connection.text.indexOf('\n\n');
  }
  return undefined;
}

const OCCURRED_AT = /"occurredAt":"([^"]+)"/;

function countEvent(connection: Connection, block: string): void {
  const type = /^event: (.+)$/m.exec(block)?.[1];
  if (!type) return;
  events[type] = (events[type] ?? 0) + 1;
  if (type === 'snapshot') {
    connection.snapshot = true;
    return;
  }
  const occurredAt = OCCURRED_AT.exec(block)?.[1];
  if (occurredAt) delays.record(Date.now() - Date.parse(occurredAt));
}
