/**
 * The main process's handle on the stream holder (stream-holder.ts): open N live streams for
 * players 1…N, read what they received, close them. The holder is its own process, so its CPU is
 * sampled with the generators' and never counted as the service's.
 */
import { fileURLToPath } from 'node:url';
import { Histogram, type HistogramData, type LatencySummary, summarizeHistogram } from './histogram.ts';

export type ToHolder =
  | {
      readonly type: 'open';
      readonly httpBase: string;
      readonly count: number;
      /** Streams belong to players firstUser, firstUser + 1, … */
      readonly firstUser: number;
      readonly concurrency: number;
      readonly devSecret: string | undefined;
      readonly namespace: string;
    }
  | { readonly type: 'close' }
  | { readonly type: 'stats' };

export type FromHolder =
  | {
      readonly type: 'opened';
      readonly open: number;
      readonly failed: number;
      readonly ms: number;
      readonly firstError: string | undefined;
    }
  | { readonly type: 'closed' }
  | {
      readonly type: 'stats';
      readonly events: Record<string, number>;
      readonly delays: HistogramData;
      readonly open: number;
      /** Streams the service ended since the last stats. */
      readonly ended: number;
      /** The holder's own CPU since the last stats, in % of one core. */
      readonly cpuPct: number;
    };

export interface StreamStats {
  readonly open: number;
  readonly ended: number;
  readonly cpuPct: number;
  readonly events: Record<string, number>;
  /** From each goal event's `occurredAt` (its writer's clock) until it arrived. */
  readonly delay: LatencySummary;
}

export interface StreamHolder {
  readonly pid: number;
  open(
    count: number,
    firstUser?: number,
  ): Promise<{ open: number; failed: number; seconds: number; firstError?: string }>;
  /** What arrived since the previous call. */
  stats(): Promise<StreamStats>;
  close(): Promise<void>;
  stop(): Promise<void>;
}

const HOLDER_FILE = fileURLToPath(new URL('./stream-holder.ts', import.meta.url));

export function startStreamHolder(options: {
  readonly httpBase: string;
  readonly devSecret: string | undefined;
  readonly namespace: string;
}): StreamHolder {
  const waiting = new Map<FromHolder['type'], (message: FromHolder) => void>();
  const child = Bun.spawn(['bun', HOLDER_FILE], {
    stdio: ['ignore', 'inherit', 'inherit'],
    ipc(message: FromHolder) {
      waiting.get(message.type)?.(message);
      waiting.delete(message.type);
    },
  });
  const ask = <T extends FromHolder['type']>(request: ToHolder, answer: T) =>
    new Promise<Extract<FromHolder, { type: T }>>((resolve, reject) => {
      waiting.set(answer, (message) => resolve(message as Extract<FromHolder, { type: T }>));
      void child.exited.then((code) => reject(new Error(`the stream holder exited (code ${code})`)));
      child.send(request);
    });
  return {
    pid: child.pid,
    async open(count, firstUser = 1) {
      const opened = await ask(
        {
          type: 'open',
          httpBase: options.httpBase,
          count,
          firstUser,
          concurrency: 200,
          devSecret: options.devSecret,
          namespace: options.namespace,
        },
        'opened',
      );
      return {
        open: opened.open,
        failed: opened.failed,
        seconds: opened.ms / 1000,
        ...(opened.firstError === undefined ? {} : { firstError: opened.firstError }),
      };
    },
    async stats() {
      const stats = await ask({ type: 'stats' }, 'stats');
      return {
        open: stats.open,
        ended: stats.ended,
        cpuPct: stats.cpuPct,
        events: stats.events,
        delay: summarizeHistogram(Histogram.from(stats.delays)),
      };
    },
    async close() {
      await ask({ type: 'close' }, 'closed');
    },
    async stop() {
      child.kill();
      await child.exited;
    },
  };
}
