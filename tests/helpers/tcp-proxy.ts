/**
 * A TCP proxy in front of a server, which can make the connections it carries go silent for good
 * while they stay open: what a dropped network path does to a connection the client keeps (no
 * reset, no answer, ever), while new connections get through.
 */
import type { Socket } from 'bun';

interface Side {
  socket: Socket<Side> | undefined;
  peer: Side | undefined;
  /** Bytes for `socket` that did not fit yet, or arrived before it connected. */
  queued: Uint8Array[];
  silent: boolean;
  closed: boolean;
}

const side = (): Side => ({ socket: undefined, peer: undefined, queued: [], silent: false, closed: false });

function flush(to: Side): void {
  const { socket } = to;
  if (!socket) return;
  while (to.queued.length > 0) {
    const chunk = to.queued[0] as Uint8Array;
    const written = socket.write(chunk);
    if (written < chunk.byteLength) {
      to.queued[0] = chunk.subarray(Math.max(0, written));
      return;
    }
    to.queued.shift();
  }
}

function pass(from: Side, data: Uint8Array): void {
  const to = from.peer;
  if (!to || from.silent || to.closed) return;
  to.queued.push(new Uint8Array(data));
  flush(to);
}

function close(from: Side): void {
  from.closed = true;
  const to = from.peer;
  if (!to || from.silent || to.closed) return;
  to.closed = true;
  to.socket?.end();
}

export interface TcpProxy {
  readonly port: number;
  /** Every connection open now passes nothing more, either way, and is never closed. */
  silenceOpenConnections(): number;
  stop(): void;
}

export function startTcpProxy(target: { hostname: string; port: number }): TcpProxy {
  const pairs: Side[] = [];
  const handlers = {
    data: (socket: Socket<Side>, data: Uint8Array) => pass(socket.data, data),
    drain: (socket: Socket<Side>) => flush(socket.data),
    close: (socket: Socket<Side>) => close(socket.data),
    error: (socket: Socket<Side>) => close(socket.data),
  };
  const server = Bun.listen<Side>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      ...handlers,
      open(client) {
        const upstream = side();
        client.data = { ...side(), socket: client, peer: upstream };
        upstream.peer = client.data;
        pairs.push(client.data);
        void Bun.connect<Side>({ ...target, data: upstream, socket: handlers }).then(
          (socket) => {
            upstream.socket = socket;
            flush(upstream);
          },
          () => client.end(),
        );
      },
    },
  });
  return {
    port: server.port,
    silenceOpenConnections() {
      let count = 0;
      for (const client of pairs.splice(0)) {
        if (client.closed) continue;
        client.silent = true;
        if (client.peer) client.peer.silent = true;
        count++;
      }
      return count;
    },
    stop: () => server.stop(true),
  };
}
