/**
 * Ingress side of the hand-off: routes each call's event to the shard owning its user and settles
 * the call when that shard reports the event committed (or failed). Events for each shard are
 * collected during one event-loop turn and posted as ONE message; per-message postMessage costs
 * more than the gRPC call itself at these rates.
 */
import { AppError } from '../domain/errors.ts';
import { eventInstant } from '../domain/event-time.ts';
import { type PipelineEvent, shardOf } from './pipeline-event.ts';
import type { AcksMessage, EventsMessage } from './protocol.ts';

interface RoutableEnvelope {
  readonly id: string;
  readonly userId: string;
  /** The platform's own event time (epoch ms), when it sent one. */
  readonly timestampMs: number | undefined;
  /** The event's namespace when it is not the service's (routed only to be audited). */
  readonly foreignNamespace?: string | undefined;
}

export type RoutableEvent =
  | (RoutableEnvelope & { readonly kind: 'login' })
  | (RoutableEnvelope & {
      readonly kind: 'statistic';
      readonly statCode: string;
      readonly value: number;
      readonly inc: number;
    });

export interface ShardRouter {
  route(event: RoutableEvent): Promise<void>;
  /** Ends the sweep that gives up calls a shard does not answer. */
  stop(): void;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: AppError) => void;
  /** `performance.now()` after which the call is given up. */
  readonly deadline: number;
  readonly shard: number;
}

export interface ShardRouterOptions {
  /**
   * A shard answers every event within its own wait; one that has not answered a call this long
   * after it arrived is stuck (its thread hangs), and the call is answered UNAVAILABLE so that the
   * platform redelivers it: a commit that still comes is then a duplicate, acknowledged as such.
   */
  readonly answerWithinMs: number;
  /** Calls given up in one sweep, for the log. */
  readonly onGivenUp?: (count: number) => void;
  /**
   * Whether every shard answers: false once a shard had a call given up, true again when every
   * such shard answered since (the gRPC health service reports it).
   */
  readonly onAnswering?: (answering: boolean) => void;
  /** When an event counts as received (epoch ms); tests pass a shared movable clock. */
  readonly now?: () => number;
}

const GIVE_UP_SWEEP_MS = 1_000;

export function createShardRouter(ports: readonly MessagePort[], options: ShardRouterOptions): ShardRouter {
  const now = options.now ?? Date.now;
  // In arrival order, so each sweep stops at the first call still in time.
  const waiters = new Map<number, Waiter>();
  const stuck = new Set<number>();
  const sweep = setInterval(() => {
    const at = performance.now();
    let givenUp = 0;
    const wasAnswering = stuck.size === 0;
    for (const [id, waiter] of waiters) {
      if (waiter.deadline > at) break;
      waiters.delete(id);
      givenUp += 1;
      stuck.add(waiter.shard);
      waiter.reject(
        new AppError('UNAVAILABLE', 'the event pipeline did not answer in time; redeliver the event'),
      );
    }
    if (givenUp > 0) options.onGivenUp?.(givenUp);
    if (wasAnswering && stuck.size > 0) options.onAnswering?.(false);
  }, GIVE_UP_SWEEP_MS);
  sweep.unref?.();
  const queues: PipelineEvent[][] = ports.map(() => []);
  let seq = 0;
  let scheduled = false;

  const flushQueues = () => {
    scheduled = false;
    for (let shard = 0; shard < ports.length; shard++) {
      const queue = queues[shard];
      if (!queue || queue.length === 0) continue;
      queues[shard] = [];
      const message: EventsMessage = { type: 'events', events: queue };
      ports[shard]?.postMessage(message);
    }
  };

  for (const [shard, port] of ports.entries()) {
    port.onmessage = (event) => {
      if (stuck.delete(shard) && stuck.size === 0) options.onAnswering?.(true);
      const acks = event.data as AcksMessage;
      for (const id of acks.ok) {
        waiters.get(id)?.resolve();
        waiters.delete(id);
      }
      for (const failure of acks.failed) {
        waiters.get(failure.seq)?.reject(new AppError(failure.code, failure.message));
        waiters.delete(failure.seq);
      }
    };
  }

  return {
    route(event) {
      const id = ++seq;
      const receivedAt = now();
      const occurredAt = eventInstant(event.timestampMs, receivedAt);
      const plain: PipelineEvent =
        event.kind === 'login'
          ? { kind: 'login', id: event.id, userId: event.userId, seq: id, receivedAt, occurredAt }
          : {
              kind: 'statistic',
              id: event.id,
              userId: event.userId,
              statCode: event.statCode,
              value: event.value,
              inc: event.inc,
              seq: id,
              receivedAt,
              occurredAt,
            };
      const routed: PipelineEvent =
        event.foreignNamespace === undefined ? plain : { ...plain, foreignNamespace: event.foreignNamespace };
      const shard = shardOf(event.userId, ports.length);
      queues[shard]?.push(routed);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushQueues);
      }
      const deadline = performance.now() + options.answerWithinMs;
      return new Promise<void>((resolve, reject) => waiters.set(id, { resolve, reject, deadline, shard }));
    },
    stop: () => clearInterval(sweep),
  };
}
